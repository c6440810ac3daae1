package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.transport.InProcessNetwork;
import io.shardkv.raft.transport.RaftTransport;

/** How the servers of a {@link RuntimeTestCluster} reach each other. */
interface ClusterNetwork {

    /** A new transport for a server that is (re)starting. */
    RaftTransport transportFor(long serverId, MeterRegistry registry);

    /** The server started its transport; peers may now learn where it is. */
    void started(long serverId, RaftTransport transport);

    /** The server is about to stop, as if its process died. */
    void stopping(long serverId);

    /** The in-JVM network: messages pass through the wire codec but never touch a socket. */
    static ClusterNetwork inProcess() {
        InProcessNetwork network = new InProcessNetwork();
        return new ClusterNetwork() {
            @Override
            public RaftTransport transportFor(long serverId, MeterRegistry registry) {
                network.setDown(serverId, false);
                return network.transportFor(serverId);
            }

            @Override
            public void started(long serverId, RaftTransport transport) {
            }

            @Override
            public void stopping(long serverId) {
                network.setDown(serverId, true);
            }
        };
    }
}

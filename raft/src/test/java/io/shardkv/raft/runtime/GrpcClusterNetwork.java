package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.transport.GrpcRaftTransport;
import io.shardkv.raft.transport.GrpcTransportConfig;
import io.shardkv.raft.transport.PeerAddress;
import io.shardkv.raft.transport.PeerDirectory;
import io.shardkv.raft.transport.RaftTransport;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Real gRPC between the servers of a test cluster, on 127.0.0.1. A server first listens on an
 * ephemeral port and keeps it across restarts, so its peers redial the same address, as they
 * would after a process restart. Stopped servers stay in the directory: peers keep redialing.
 */
final class GrpcClusterNetwork implements ClusterNetwork {
    private final Path dir;
    private final PeerDirectory directory = new PeerDirectory();
    private final Map<Long, Integer> ports = new HashMap<>();

    GrpcClusterNetwork(Path dir) {
        this.dir = dir;
    }

    @Override
    public RaftTransport transportFor(long serverId, MeterRegistry registry) {
        GrpcTransportConfig config = GrpcTransportConfig.builder()
                .host("127.0.0.1").port(ports.getOrDefault(serverId, 0))
                // Test clusters restart servers within seconds; redial quickly.
                .reconnectBackoffMillis(20, 250)
                .build();
        return new GrpcRaftTransport(config, directory, registry);
    }

    @Override
    public void started(long serverId, RaftTransport transport) {
        int port = ((GrpcRaftTransport) transport).port();
        ports.put(serverId, port);
        directory.put(serverId, new PeerAddress("127.0.0.1", port));
    }

    @Override
    public void stopping(long serverId) {
    }
}

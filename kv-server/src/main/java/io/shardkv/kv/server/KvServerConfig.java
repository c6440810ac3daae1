package io.shardkv.kv.server;

import io.shardkv.kv.state.StateMachineSettings;
import io.shardkv.ops.RaftTuning;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a {@link KvServer} needs to start.
 *
 * @param listenHost        KvService + KvAdmin gRPC host
 * @param listenPort        its port; 0 picks a free one
 * @param raftHost          raft transport host
 * @param raftPort          its port; 0 picks a free one
 * @param metaEndpoints     meta-server endpoints (host:port); empty runs without a meta-server
 *                          (tests feed the {@link io.shardkv.kv.metalink.ClusterView} themselves)
 * @param heartbeatMillis   interval of heartbeats, and of the removed-replica check
 * @param requestTimeoutMillis default deadline of a request whose header names none
 * @param raft              the Raft runtime's, log engine's and transport's settings
 * @param advertise         host:port clients should dial when it is not the listen address (a
 *                          published port, NAT); empty: the listen address
 * @param migrationBytesPerSecond the byte rate slot migrations into this server's groups share
 *                          (0: unlimited), so they leave the disk and network to clients
 */
public record KvServerConfig(long serverId, Path dataDir, String listenHost, int listenPort, String raftHost,
                             int raftPort, List<String> metaEndpoints, long heartbeatMillis,
                             long requestTimeoutMillis, StateMachineSettings stateMachine, RaftTuning raft,
                             String advertise, long migrationBytesPerSecond) {
    /** The default migration rate: a fraction of a small machine's disk. */
    public static final long DEFAULT_MIGRATION_BYTES_PER_SECOND = 64L << 20;

    public KvServerConfig {
        metaEndpoints = List.copyOf(metaEndpoints);
        if (serverId <= 0) {
            throw new IllegalArgumentException("server ids start at 1, got " + serverId);
        }
        if (advertise == null) {
            throw new IllegalArgumentException("advertise is empty or host:port, not null");
        }
        if (migrationBytesPerSecond < 0) {
            throw new IllegalArgumentException("migrationBytesPerSecond must be 0 (unlimited) or positive");
        }
        if (heartbeatMillis <= 0 || requestTimeoutMillis <= 0) {
            throw new IllegalArgumentException("intervals must be positive");
        }
    }

    /** Local defaults on 127.0.0.1 with free ports and no meta-server, for tests. */
    public static KvServerConfig local(long serverId, Path dataDir, long tickMillis) {
        return new KvServerConfig(serverId, dataDir, "127.0.0.1", 0, "127.0.0.1", 0, List.of(), 1000,
                5000, StateMachineSettings.defaults(), RaftTuning.defaults().withTickMillis(tickMillis), "",
                DEFAULT_MIGRATION_BYTES_PER_SECOND);
    }
}

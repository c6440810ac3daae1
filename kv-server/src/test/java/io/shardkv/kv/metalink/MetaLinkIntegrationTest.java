package io.shardkv.kv.metalink;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.server.KvServer;
import io.shardkv.kv.server.KvServerConfig;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.HeartbeatResponse;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.raft.testing.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kv-server's side of the meta protocol: heartbeats register it and report its groups, and
 * the map watcher's map alone lets the servers find each other's raft transports. The meta
 * module is built separately, so a minimal in-test MetaService stands in for it: a registry of
 * heartbeats and a versioned map, nothing more.
 */
class MetaLinkIntegrationTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** Registers servers from heartbeats (a new map version each time one appears) and serves the map. */
    private static final class MiniMeta extends MetaServiceGrpc.MetaServiceImplBase {
        final Map<Long, HeartbeatRequest> lastHeartbeat = new ConcurrentHashMap<>();
        private ClusterMap map = ClusterMap.getDefaultInstance();

        @Override
        public void heartbeat(HeartbeatRequest r, StreamObserver<HeartbeatResponse> obs) {
            HeartbeatRequest previous = lastHeartbeat.put(r.getServerId(), r);
            long version;
            synchronized (this) {
                if (previous == null) {
                    map = map.toBuilder().setConfigVersion(map.getConfigVersion() + 1)
                            .addServers(ServerInfo.newBuilder().setId(r.getServerId()).setAddress(r.getAddress())
                                    .setClientAddress(r.getClientAddress())
                                    .setRaftAddress(r.getRaftAddress()).setState(ServerState.SERVER_RUNNING)).build();
                    notifyAll();
                }
                version = map.getConfigVersion();
            }
            obs.onNext(HeartbeatResponse.newBuilder().setConfigVersion(version).build());
            obs.onCompleted();
        }

        @Override
        public void getClusterMap(GetClusterMapRequest r, StreamObserver<GetClusterMapResponse> obs) {
            ClusterMap answer;
            synchronized (this) {
                long deadline = System.currentTimeMillis() + r.getWaitMillis();
                while (map.getConfigVersion() <= r.getKnownVersion() && System.currentTimeMillis() < deadline) {
                    try {
                        wait(Math.max(1, deadline - System.currentTimeMillis()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                answer = map;
            }
            obs.onNext(GetClusterMapResponse.newBuilder().setMap(answer).build());
            obs.onCompleted();
        }
    }

    /** A meta replica that is not the leader: answers NOT_LEADER to everything. */
    private static final class Follower extends MetaServiceGrpc.MetaServiceImplBase {
        private static final MetaError NOT_LEADER = MetaError.newBuilder().setCode(MetaErrorCode.NOT_LEADER).build();

        @Override
        public void heartbeat(HeartbeatRequest r, StreamObserver<HeartbeatResponse> obs) {
            obs.onNext(HeartbeatResponse.newBuilder().setError(NOT_LEADER).build());
            obs.onCompleted();
        }

        @Override
        public void getClusterMap(GetClusterMapRequest r, StreamObserver<GetClusterMapResponse> obs) {
            obs.onNext(GetClusterMapResponse.newBuilder().setError(NOT_LEADER).build());
            obs.onCompleted();
        }
    }

    private String serve(MetaServiceGrpc.MetaServiceImplBase service) throws IOException {
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build()
                .start();
        closing.add(() -> s.shutdownNow().awaitTermination());
        return "127.0.0.1:" + s.getPort();
    }

    private static String deadEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    void heartbeatsRegisterTheServersAndTheWatchedMapConnectsThem() throws IOException {
        MiniMeta meta = new MiniMeta();
        List<String> endpoints = List.of(deadEndpoint(), serve(new Follower()), serve(meta));
        List<KvServer> servers = new ArrayList<>();
        for (long id = 1; id <= 3; id++) {
            KvServerConfig base = KvServerConfig.local(id, dir.resolve("s" + id), 50);
            // Server 3 sits behind a published port: clients are told another address.
            String advertise = id == 3 ? "public.example:19103" : "";
            KvServer s = KvServer.start(new KvServerConfig(id, base.dataDir(), "127.0.0.1", 0, "127.0.0.1", 0,
                    endpoints, 100, 5000, base.stateMachine(), base.raft(), advertise,
                    base.migrationBytesPerSecond()), new SimpleMeterRegistry());
            closing.add(s);
            servers.add(s);
        }
        Await.until(DEADLINE, () -> "every server to learn the map with all three",
                () -> servers.stream().allMatch(s -> s.clusterView().map().getServersCount() == 3));
        assertThat(servers.get(0).clusterView().clientAddress(2)).contains(servers.get(1).address());
        assertThat(meta.lastHeartbeat.get(3L).getRaftAddress()).isEqualTo(servers.get(2).raftAddress());
        assertThat(meta.lastHeartbeat.get(3L).getClientAddress()).isEqualTo("public.example:19103");
        assertThat(meta.lastHeartbeat.get(3L).getAddress()).isEqualTo(servers.get(2).address());
        assertThat(servers.get(0).clusterView().clientAddress(3)).contains("public.example:19103");

        for (KvServer s : servers) {
            ManagedChannel ch = NettyChannelBuilder.forTarget(s.address()).usePlaintext().build();
            closing.add(ch::shutdownNow);
            assertThat(KvAdminGrpc.newBlockingStub(ch).createReplica(CreateReplicaRequest.newBuilder().setGroupId(4)
                    .addAllInitialVoters(List.of(1L, 2L, 3L)).build()).getError().getCode()).isEqualTo(ErrorCode.OK);
        }
        Await.until(DEADLINE, () -> "a heartbeat reporting a leader of group 4", () -> meta.lastHeartbeat.values()
                .stream().flatMap(h -> h.getGroupsList().stream())
                .anyMatch(g -> g.getGroupId() == 4 && g.getRole().equals("LEADER")));
        GroupReport report = meta.lastHeartbeat.get(1L).getGroupsList().get(0);
        assertThat(report.getFailure()).isEmpty();
        Await.until(DEADLINE, () -> "server 1 to be healthy: " + servers.get(0).health().render(),
                () -> servers.get(0).health().ready());
    }
}

package io.shardkv.kv.service;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.kv.server.KvServer;
import io.shardkv.kv.server.KvServerConfig;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Several {@link KvServer}s in one JVM on 127.0.0.1 (real gRPC, real RocksDB, ephemeral ports),
 * without a meta-server: the test publishes the cluster map to every server itself.
 */
final class KvTestCluster implements AutoCloseable {
    static final Duration DEADLINE = Duration.ofSeconds(30);

    private final Path dir;
    private final Map<Long, KvServer> servers = new TreeMap<>();
    private final Map<Long, ManagedChannel> channels = new TreeMap<>();
    private final Map<Long, SimpleMeterRegistry> registries = new TreeMap<>();
    private long mapVersion;

    KvTestCluster() {
        try {
            dir = Files.createTempDirectory("kv-cluster-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a server and publishes a new map that lists it. */
    KvServer start(long id) {
        KvServerConfig base = KvServerConfig.local(id, dir.resolve("server-" + id), 50);
        KvServerConfig config = new KvServerConfig(id, base.dataDir(), base.listenHost(), 0, base.raftHost(), 0,
                List.of(), 200, base.requestTimeoutMillis(), base.stateMachine(), base.raft(), "",
                base.migrationBytesPerSecond());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KvServer server = KvServer.start(config, registry);
        servers.put(id, server);
        registries.put(id, registry);
        channels.put(id, NettyChannelBuilder.forTarget(server.address()).usePlaintext()
                .maxInboundMessageSize(32 << 20).build());
        publishMap();
        return server;
    }

    /** Gives every server a new map version listing all servers' addresses. */
    void publishMap() {
        mapVersion++;
        ClusterMap.Builder map = ClusterMap.newBuilder().setConfigVersion(mapVersion);
        servers.forEach((id, s) -> map.addServers(ServerInfo.newBuilder().setId(id).setAddress(s.address())
                .setRaftAddress(s.raftAddress()).setState(ServerState.SERVER_RUNNING)));
        ClusterMap built = map.build();
        servers.values().forEach(s -> s.clusterView().update(built));
    }

    long mapVersion() {
        return mapVersion;
    }

    KvServer server(long id) {
        return servers.get(id);
    }

    /** Server {@code id}'s meters. */
    SimpleMeterRegistry registry(long id) {
        return registries.get(id);
    }

    KvServiceGrpc.KvServiceBlockingStub kv(long id) {
        return KvServiceGrpc.newBlockingStub(channels.get(id));
    }

    KvAdminGrpc.KvAdminBlockingStub admin(long id) {
        return KvAdminGrpc.newBlockingStub(channels.get(id));
    }

    /** Creates a group's replicas on its voters through KvAdmin, as the scheduler does. */
    void createGroup(long groupId, List<Long> voters) {
        for (long v : voters) {
            AdminResponse r = admin(v).createReplica(CreateReplicaRequest.newBuilder().setGroupId(groupId)
                    .addAllInitialVoters(voters).build());
            if (r.getError().getCode() != ErrorCode.OK) {
                throw new AssertionError("CreateReplica on " + v + ": " + r);
            }
        }
    }

    /** The server that leads the group, once one does (by the servers' published summaries). */
    long awaitLeader(long groupId) {
        AtomicReference<Long> leader = new AtomicReference<>();
        Await.until(DEADLINE, () -> "a leader of group " + groupId, () -> {
            for (KvServer s : servers.values()) {
                Optional<GroupSummary> summary = s.raft().summary(groupId);
                if (summary.isPresent() && summary.get().role() == Role.LEADER) {
                    leader.set(s.serverId());
                    return true;
                }
            }
            return false;
        });
        return leader.get();
    }

    /** Repeats a call until it answers OK (leader changes, catching up); returns that answer. */
    static <T> T untilOk(String what, Supplier<T> call, Function<T, KvError> errorOf) {
        AtomicReference<T> last = new AtomicReference<>();
        Await.until(DEADLINE, () -> what + " to answer OK, last answer: " + last.get(), () -> {
            last.set(call.get());
            return errorOf.apply(last.get()).getCode() == ErrorCode.OK;
        });
        return last.get();
    }

    /** Stops one server (its data stays). */
    void stop(long id) {
        channels.remove(id).shutdownNow();
        servers.remove(id).close();
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        servers.values().forEach(KvServer::close);
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

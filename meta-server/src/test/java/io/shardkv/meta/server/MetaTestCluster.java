package io.shardkv.meta.server;

import io.shardkv.meta.scheduler.SlotBalance;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.ops.RaftTuning;
import io.shardkv.raft.testing.Await;
import io.shardkv.raft.transport.PeerAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Three in-process meta-servers over real gRPC and RocksDB on 127.0.0.1. Raft ports are fixed
 * up front (peers must know them across restarts); the MetaService and HTTP ports are free ports.
 */
public final class MetaTestCluster implements AutoCloseable {
    static final long[] IDS = {1, 2, 3};

    private final Path root;
    private final Map<Long, PeerAddress> peers = new LinkedHashMap<>();
    private final Map<Long, MetaServer> servers = new HashMap<>();
    private final Map<Long, PrometheusMeterRegistry> registries = new HashMap<>();
    private final Map<Long, ManagedChannel> channels = new HashMap<>();
    private final int initialGroups;
    private final int replicas;
    private final long serverDownMillis;
    private final long leaderBalanceMillis;

    /** A cluster whose scheduler does not balance leaders (tests that count tasks stay exact). */
    public MetaTestCluster(Path root, int initialGroups, int replicas, long serverDownMillis) {
        this(root, initialGroups, replicas, serverDownMillis, 0);
    }

    public MetaTestCluster(Path root, int initialGroups, int replicas, long serverDownMillis,
                           long leaderBalanceMillis) {
        this.root = root;
        this.initialGroups = initialGroups;
        this.replicas = replicas;
        this.serverDownMillis = serverDownMillis;
        this.leaderBalanceMillis = leaderBalanceMillis;
        for (long id : IDS) {
            peers.put(id, new PeerAddress("127.0.0.1", freePort()));
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public MetaTestCluster startAll() {
        for (long id : IDS) {
            start(id);
        }
        return this;
    }

    public void start(long id) {
        PeerAddress raft = peers.get(id);
        MetaServerConfig config = new MetaServerConfig(id, peers, new Listen("127.0.0.1", 0),
                new Listen(raft.host(), raft.port()), new Listen("127.0.0.1", 0), root.resolve("meta-" + id),
                initialGroups, replicas, serverDownMillis, 100, 5_000, 1_000, leaderBalanceMillis,
                RaftTuning.defaults().withTickMillis(50), SlotBalance.OFF);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registries.put(id, registry);
        servers.put(id, MetaServer.start(config, registry));
    }

    public void stop(long id) {
        ManagedChannel ch = channels.remove(id);
        if (ch != null) {
            ch.shutdownNow();
        }
        MetaServer s = servers.remove(id);
        if (s != null) {
            s.close();
        }
    }

    void stopAll() {
        for (long id : IDS) {
            stop(id);
        }
    }

    /** The meters of meta-server {@code id}, as its /metrics serves them. */
    public PrometheusMeterRegistry registry(long id) {
        return registries.get(id);
    }

    public MetaServer server(long id) {
        return servers.get(id);
    }

    /** Waits for a running replica that leads the meta group and returns its id. */
    public long awaitLeader() {
        long[] leader = {0};
        Await.until(() -> "a meta leader among " + servers.keySet(), () -> {
            for (MetaServer s : servers.values()) {
                if (s.group().isLeader()) {
                    leader[0] = s.serverId();
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    long someFollower(long leader) {
        for (long id : servers.keySet()) {
            if (id != leader) {
                return id;
            }
        }
        throw new IllegalStateException("no follower running");
    }

    public MetaServiceGrpc.MetaServiceBlockingStub stub(long id) {
        ManagedChannel ch = channels.computeIfAbsent(id, k -> NettyChannelBuilder
                .forAddress("127.0.0.1", servers.get(k).grpcPort()).usePlaintext().build());
        return MetaServiceGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    MetaServiceGrpc.MetaServiceFutureStub futureStub(long id) {
        stub(id);
        return MetaServiceGrpc.newFutureStub(channels.get(id)).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        stopAll();
    }
}

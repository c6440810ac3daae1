package io.shardkv.kv.server;

import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.transport.NonBlockingCalls;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.shardkv.ops.RaftPeerSecurity;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.ServerSecurity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.client.MetaCaller;
import io.shardkv.common.Limits;
import io.shardkv.kv.admin.KvAdminImpl;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.kv.migration.Importers;
import io.shardkv.kv.migration.RaftProposer;
import io.shardkv.kv.migration.SourcePuller;
import io.shardkv.kv.metalink.ClusterView;
import io.shardkv.kv.metalink.HeartbeatSender;
import io.shardkv.kv.metalink.MapWatcher;
import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.replica.ReplicaCollector;
import io.shardkv.kv.replica.Replicas;
import io.shardkv.kv.replica.KvErrors;
import io.shardkv.kv.service.KvServiceImpl;
import io.shardkv.raft.core.Role;
import io.shardkv.ops.Health;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import io.shardkv.raft.storage.RocksLogEngine;
import io.shardkv.raft.transport.GrpcRaftTransport;
import io.shardkv.raft.transport.GrpcTransportConfig;
import io.shardkv.raft.transport.PeerDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kv-server: replicas of many shard groups on one {@link RaftServer} (log in
 * {@code DIR/raft-log}, transport snapshots in {@code DIR/snapshots}) and one {@link KvEngine}
 * ({@code DIR/kv}), serving KvService and KvAdmin on one gRPC port, heartbeating to the
 * meta-server and watching its map. Restarting on the same data directory resumes every group.
 */
public final class KvServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvServer.class);
    /** A large batch entry plus framing must fit a raft transport frame. */
    private static final int RAFT_FRAME_BYTES = 48 << 20;

    private final KvServerConfig config;
    private final ServerSecurity security;
    private KvEngine kv;
    private RocksLogEngine log;
    private RaftServer raft;
    private GrpcRaftTransport transport;
    private PeerDirectory peers;
    private ClusterView view;
    private Replicas replicas;
    private ExecutorService executor;
    private ScheduledExecutorService scheduler;
    private Server grpc;
    private Importers importers;
    private MetaCaller metaClient;
    private MapWatcher watcher;
    private HeartbeatSender heartbeats;
    private volatile boolean closed;

    private KvServer(KvServerConfig config, ServerSecurity security) {
        this.config = config;
        this.security = security;
    }

    /** Starts without TLS or authentication, for tests on 127.0.0.1. */
    public static KvServer start(KvServerConfig config, MeterRegistry registry) {
        return start(config, registry, ServerSecurity.insecure(new SecurityMetrics(registry)));
    }

    /**
     * Opens the data directory, reopens the stored groups and starts serving.
     *
     * @param security TLS and the role checks on every port, or plaintext
     */
    public static KvServer start(KvServerConfig config, MeterRegistry registry, ServerSecurity security) {
        KvServer s = new KvServer(config, security);
        try {
            s.startParts(registry);
        } catch (RuntimeException | IOException e) {
            s.close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot start kv-server " + config.serverId(), io);
            }
            throw (RuntimeException) e;
        }
        return s;
    }

    private void startParts(MeterRegistry registry) throws IOException {
        long id = config.serverId();
        kv = KvEngine.open(config.dataDir().resolve("kv"));
        log = RocksLogEngine.open(config.dataDir().resolve("raft-log"), config.raft().logEngine());
        peers = new PeerDirectory();
        transport = new GrpcRaftTransport(config.raft().transport(
                        GrpcTransportConfig.builder()
                .host(config.raftHost()).port(config.raftPort()).maxFrameBytes(RAFT_FRAME_BYTES)).build(), peers,
                registry, RaftPeerSecurity.of(security, io.shardkv.security.Role.KV_SERVER));
        raft = new RaftServer(config.raft().runtime(id), log, transport,
                SnapshotStore.open(config.dataDir().resolve("snapshots")), registry);
        raft.start();
        view = new ClusterView(id, peers);
        replicas = new Replicas(raft, kv, config.stateMachine());
        replicas.openStored();

        AtomicInteger threadIds = new AtomicInteger();
        executor = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "kv-request-" + id + "-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        KvErrors errors = new KvErrors(view);
        GroupRouter router = new GroupRouter(replicas, raft, errors);
        importers = new Importers(id, new RaftProposer(raft), new SourcePuller(view, id, security.outgoing()),
                config.migrationBytesPerSecond(), registry);
        grpc = security.enforce(NettyServerBuilder.forAddress(new InetSocketAddress(config.listenHost(),
                        config.listenPort()), security.serverCredentials()), KvAccessPolicy.POLICY)
                .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES)
                // Client requests are checked, encoded and queued for their group, which never
                // blocks: they run on the network thread that read them rather than on a thread
                // woken for each (KvServiceImpl). Admin calls may wait, on the executor.
                .callExecutor(NonBlockingCalls.ofService(KvServiceGrpc.SERVICE_NAME))
                .addService(new KvServiceImpl(raft, router, errors, registry, executor, config.requestTimeoutMillis()))
                .addService(new KvAdminImpl(raft, replicas, router, errors, executor,
                        Math.max(10_000, config.requestTimeoutMillis()), importers))
                .build().start();

        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kv-scheduler-" + id);
            t.setDaemon(true);
            return t;
        });
        ReplicaCollector collector = new ReplicaCollector(raft, replicas, executor, view);
        scheduler.scheduleWithFixedDelay(() -> runSafely("replica check", collector::check),
                config.heartbeatMillis(), config.heartbeatMillis(), TimeUnit.MILLISECONDS);
        if (!config.metaEndpoints().isEmpty()) {
            metaClient = new MetaCaller(config.metaEndpoints(), security.outgoing());
            heartbeats = new HeartbeatSender(metaClient, raft, address(), raftAddress(), config.advertise(), replicas::ids,
                    Math.max(1_000, config.heartbeatMillis() * 2));
            scheduler.scheduleWithFixedDelay(() -> runSafely("heartbeat", heartbeats::beat), 0,
                    config.heartbeatMillis(), TimeUnit.MILLISECONDS);
            watcher = new MapWatcher(metaClient, view, id);
            watcher.start();
        }
        Gauge.builder("shardkv.kv.groups", () -> replicas.ids().size()).description("group replicas hosted")
                .register(registry);
        Gauge.builder("shardkv.kv.leader.groups", this::leaderCount).description("groups led here").register(registry);
        LOG.info("kv-server {} serving on {} (raft {}), {} groups, meta {}; {}", id, address(), raftAddress(),
                replicas.ids().size(), config.metaEndpoints().isEmpty() ? "none" : config.metaEndpoints(), security);
    }

    private static void runSafely(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            // A periodic task must keep running after one failure; the next run retries.
            LOG.warn("{} failed", what, e);
        }
    }

    /** The KvService / KvAdmin address clients use (actual port). */
    public String address() {
        return config.listenHost() + ":" + grpc.getPort();
    }

    public int port() {
        return grpc.getPort();
    }

    /** The raft transport's address (actual port). */
    public String raftAddress() {
        return config.raftHost() + ":" + transport.port();
    }

    public long serverId() {
        return config.serverId();
    }

    public RaftServer raft() {
        return raft;
    }

    public Replicas replicas() {
        return replicas;
    }

    /** The cluster view; tests without a meta-server feed it maps directly. */
    public ClusterView clusterView() {
        return view;
    }

    private int leaderCount() {
        int n = 0;
        for (long g : replicas.ids()) {
            Optional<GroupSummary> s = raft.summary(g);
            if (s.isPresent() && s.get().role() == Role.LEADER) {
                n++;
            }
        }
        return n;
    }

    /**
     * Live until closed: a meta-server outage must not get kv-servers restarted by a liveness
     * probe. Ready when no hosted group has failed and, with a meta-server configured, the last
     * heartbeat was accepted within three intervals (at least 5 s). Neither once a Raft thread
     * died of something no group caused (an OutOfMemoryError).
     */
    public Health health() {
        int failed = 0;
        for (long g : replicas.ids()) {
            Optional<GroupSummary> s = raft.summary(g);
            if (s.isPresent() && s.get().failure() != null) {
                failed++;
            }
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("server_id", Long.toString(config.serverId()));
        facts.put("groups_hosted", Integer.toString(replicas.ids().size()));
        facts.put("groups_led", Integer.toString(leaderCount()));
        facts.put("groups_failed", Integer.toString(failed));
        facts.put("map_version", Long.toString(view.version()));
        boolean metaOk = true;
        if (heartbeats != null) {
            long age = heartbeats.lastSuccessAgeMillis();
            facts.put("last_heartbeat_age_millis", Long.toString(age));
            metaOk = age >= 0 && age <= Math.max(5_000, 3 * config.heartbeatMillis());
        }
        Optional<String> crash = raft.threadCrash();
        crash.ifPresent(c -> facts.put("thread_crash", c));
        // A thread that died of an OutOfMemoryError leaves the process unfit: restart it.
        boolean live = !closed && crash.isEmpty();
        return new Health(live, live && failed == 0 && metaOk, facts);
    }

    /** Stops serving and closes everything; safe to call more than once and after a failed start. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (watcher != null) {
            watcher.close();
        }
        if (grpc != null) {
            grpc.shutdown();
            try {
                if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
                    grpc.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                grpc.shutdownNow();
            }
        }
        if (importers != null) {
            importers.close();
        }
        if (raft != null) {
            raft.close();
        } else if (transport != null) {
            transport.close();
        }
        if (executor != null) {
            executor.shutdownNow();
            try {
                // Reads in flight touch the KV database, which closes below.
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (replicas != null) {
            replicas.closeAll();
        }
        if (metaClient != null) {
            metaClient.close();
        }
        if (log != null) {
            log.close();
        }
        if (kv != null) {
            kv.close();
        }
        security.close();
        LOG.info("kv-server {} stopped", config.serverId());
    }
}

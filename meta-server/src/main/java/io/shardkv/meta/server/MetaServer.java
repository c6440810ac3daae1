package io.shardkv.meta.server;

import io.shardkv.raft.snapshot.SnapshotStore;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.shardkv.ops.RaftPeerSecurity;
import io.shardkv.security.Role;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.ServerSecurity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.shardkv.meta.group.MetaGroup;
import io.shardkv.meta.liveness.HeartbeatTracker;
import io.shardkv.meta.liveness.LivenessMonitor;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.map.SlotMoves;
import io.shardkv.meta.scheduler.MigrationBoard;
import io.shardkv.meta.scheduler.BootstrapPlanner;
import io.shardkv.meta.scheduler.GrpcKvAdminCaller;
import io.shardkv.meta.scheduler.KvAdminCaller;
import io.shardkv.meta.scheduler.LeaderBalancer;
import io.shardkv.meta.scheduler.MetaScheduler;
import io.shardkv.meta.scheduler.TaskStepper;
import io.shardkv.meta.service.MapWatchers;
import io.shardkv.meta.service.MetaMetrics;
import io.shardkv.meta.service.MetaServiceImpl;
import io.shardkv.meta.state.MapListener;
import io.shardkv.meta.state.MetaStateMachine;
import io.shardkv.raft.core.ConfState;
import io.shardkv.ops.Health;
import io.shardkv.ops.HttpEndpoint;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import io.shardkv.raft.storage.RocksLogEngine;
import io.shardkv.raft.transport.GrpcRaftTransport;
import io.shardkv.raft.transport.GrpcTransportConfig;
import io.shardkv.raft.transport.PeerDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meta-server replica, assembled: the meta Raft group (group {@value MetaGroup#GROUP_ID})
 * over its own log engine and transport, the cluster-map state machine, the MetaService gRPC
 * endpoint, the scheduler and the HTTP operations port.
 *
 * <p>On first start with an empty data dir it bootstraps the meta group with all peers as
 * voters (every replica does the same); on a restart it reopens the stored group.
 */
public final class MetaServer implements AutoCloseable {
    private MigrationBoard migrations;
    private static final Logger LOG = LoggerFactory.getLogger(MetaServer.class);
    /** Entries applied between two synced map writes. */
    static final int SYNC_EVERY_ENTRIES = 100;
    private static final int MAX_WATCHERS = 10_000;

    private final MetaServerConfig config;
    private final ServerSecurity security;
    private final List<AutoCloseable> closeOrder = new ArrayList<>();
    private MetaStateMachine stateMachine;
    private RocksLogEngine engine;
    private GrpcRaftTransport transport;
    private RaftServer raft;
    private MetaGroup group;
    private HeartbeatTracker heartbeats;
    private MapWatchers watchers;
    private Server grpc;
    private HttpEndpoint http;
    private volatile boolean closed;

    private MetaServer(MetaServerConfig config, ServerSecurity security) {
        this.config = config;
        this.security = security;
    }

    /** Starts a replica without TLS or authentication, for tests on 127.0.0.1. */
    public static MetaServer start(MetaServerConfig config, PrometheusMeterRegistry registry) {
        return start(config, registry, ServerSecurity.insecure(new SecurityMetrics(registry)));
    }

    /**
     * Starts a replica; on failure everything already started is closed again.
     *
     * @param security TLS and the role checks on both ports, or plaintext
     */
    public static MetaServer start(MetaServerConfig config, PrometheusMeterRegistry registry, ServerSecurity security) {
        MetaServer s = new MetaServer(config, security);
        try {
            s.startAll(registry);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void startAll(PrometheusMeterRegistry registry) {
        var dir = config.dataDir();
        closeOrder.add(security);
        stateMachine = MetaStateMachine.open(dir.resolve("meta"), SYNC_EVERY_ENTRIES);
        closeOrder.add(0, stateMachine);
        engine = RocksLogEngine.open(dir.resolve("raft-log"), config.raft().logEngine());
        closeOrder.add(0, engine);

        PeerDirectory directory = new PeerDirectory();
        config.peers().forEach(directory::put);
        transport = new GrpcRaftTransport(config.raft().transport(GrpcTransportConfig.builder()
                .host(config.raftListen().host()).port(config.raftListen().port())).build(), directory, registry,
                RaftPeerSecurity.of(security, Role.META_SERVER));
        raft = new RaftServer(config.raft().runtime(config.serverId()), engine, transport,
                SnapshotStore.open(dir.resolve("snapshots")), registry);
        raft.start();
        closeOrder.add(0, raft);

        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meta-watch-timer-" + config.serverId());
            t.setDaemon(true);
            return t;
        });
        closeOrder.add(0, timer::shutdownNow);
        watchers = new MapWatchers(stateMachine::currentMap, timer, MAX_WATCHERS);
        stateMachine.addListener(watchers);
        closeOrder.add(0, watchers::releaseAll);

        if (raft.storedGroups().contains(MetaGroup.GROUP_ID)) {
            raft.openGroup(MetaGroup.GROUP_ID, stateMachine);
            LOG.info("reopened the meta group at map version {} (applied index {})",
                    stateMachine.currentMap().getConfigVersion(), stateMachine.appliedIndex());
        } else {
            ConfState voters = new ConfState(Set.copyOf(config.peers().keySet()), Set.of(), Set.of(), false);
            raft.createGroup(MetaGroup.GROUP_ID, voters, stateMachine);
            LOG.info("bootstrapped the meta group with voters {}", voters.voters());
        }
        group = new MetaGroup(raft, stateMachine);

        heartbeats = new HeartbeatTracker(() -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()));
        migrations = MigrationBoard.systemClock(registry);
        MetaServiceImpl service = new MetaServiceImpl(group, heartbeats, watchers, new MetaMetrics(registry),
                config.replicas(), config.adminTimeoutMillis(), migrations, security.metrics());
        grpc = security.enforce(NettyServerBuilder.forAddress(new InetSocketAddress(config.listen().host(),
                        config.listen().port()), security.serverCredentials()), MetaAccessPolicy.POLICY)
                .addService(service).maxInboundMessageSize(GrpcKvAdminCaller.MAX_MESSAGE_BYTES).build();
        try {
            grpc.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for MetaService on " + config.listen(), e);
        }
        closeOrder.add(0, () -> grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

        GrpcKvAdminCaller admin = new GrpcKvAdminCaller(config.adminCallDeadlineMillis(), security.outgoing());
        closeOrder.add(0, admin);
        MetaScheduler scheduler = schedulerWith(admin, registry);
        scheduler.start();
        closeOrder.add(0, scheduler);

        registerGauges(registry);
        http = HttpEndpoint.start(config.httpListen().host(), config.httpListen().port(), registry, this::health);
        closeOrder.add(0, http);
        LOG.info("meta-server {} serving MetaService on {}, raft on {}, http on {}; {}", config.serverId(), grpcPort(),
                raftPort(), httpPort(), security);
    }

    private MetaScheduler schedulerWith(KvAdminCaller admin, PrometheusMeterRegistry registry) {
        return new MetaScheduler(group, heartbeats, new LivenessMonitor(heartbeats, config.serverDownMillis()),
                new BootstrapPlanner(config.initialGroups(), config.replicas()), new TaskStepper(admin, heartbeats, migrations),
                config.schedulerIntervalMillis(), config.adminTimeoutMillis(), config.leaderBalanceQuietMillis(),
                config.slotBalance(),
                Counter.builder("shardkv.meta.leader.balance.moves")
                        .description("Leader transfers filed by the leader balancer").register(registry));
    }

    private void registerGauges(PrometheusMeterRegistry registry) {
        Gauge.builder("shardkv.meta.migrations.pending", stateMachine, sm -> sm.currentMap().getTasksList().stream()
                        .filter(SlotMoves::pendingMove).count())
                .description("Slot moves in flight").register(registry);
        Gauge.builder("shardkv.meta.config.version", stateMachine, sm -> sm.currentMap().getConfigVersion())
                .description("Version of the applied cluster map").register(registry);
        Gauge.builder("shardkv.meta.leader.imbalance", stateMachine,
                        sm -> LeaderBalancer.imbalance(sm.currentMap(), heartbeats))
                .description("Most groups led by one kv-server minus fewest led by another (as last reported)")
                .register(registry);
        Gauge.builder("shardkv.meta.tasks.pending", stateMachine,
                        sm -> MetaScheduler.pendingTasks(sm.currentMap()))
                .description("Pending tasks in the cluster map").register(registry);
        Gauge.builder("shardkv.meta.groups", stateMachine, sm -> sm.currentMap().getGroupsCount())
                .description("Shard groups in the cluster map").register(registry);
        // Only the meta leader hears the heartbeats that name group leaders; the others report 0,
        // so max() over the meta-servers is the count an alert wants.
        Gauge.builder("shardkv.meta.groups.leaderless", stateMachine,
                        sm -> group.isLeader() ? leaderlessGroups(sm.currentMap()) : 0)
                .description("Groups whose leader no kv-server reports, or reports on a server marked down"
                        + " (on the meta leader)").register(registry);
        // One row per group, replaced whenever a map is applied (groups come and go). Rows are
        // always taken from the newest map, so the first fill and the apply thread cannot race.
        MultiGauge slots = MultiGauge.builder("shardkv.meta.group.slots")
                .description("Slots each shard group owns or is migrating, per the applied map").register(registry);
        MapListener slotRows = ignored -> {
            synchronized (slots) {
                ClusterMap map = stateMachine.currentMap();
                slots.register(map.getGroupsList().stream()
                        .map(g -> MultiGauge.Row.of(Tags.of("group", Long.toString(g.getId())),
                                ClusterMaps.slotsOf(map, g.getId())))
                        .collect(Collectors.toList()), true);
            }
        };
        stateMachine.addListener(slotRows);
        slotRows.onMapApplied(null);
        for (ServerState state : List.of(ServerState.SERVER_RUNNING, ServerState.SERVER_DOWN)) {
            Gauge.builder("shardkv.meta.servers", stateMachine, sm -> countServers(sm.currentMap(), state))
                    .tag("state", state == ServerState.SERVER_RUNNING ? "running" : "down")
                    .description("kv-servers in the map by state").register(registry);
        }
    }

    private long leaderlessGroups(ClusterMap map) {
        return map.getGroupsList().stream().filter(g -> {
            long leader = heartbeats.leaderOf(g.getId());
            return leader == 0 || !ClusterMaps.isRunning(map, leader);
        }).count();
    }

    private static long countServers(ClusterMap map, ServerState state) {
        return map.getServersList().stream().filter(s -> s.getState() == state).count();
    }

    /** Live until closed or a Raft thread died (OutOfMemoryError); ready while the meta group has a leader. */
    public Health health() {
        ClusterMap map = stateMachine.currentMap();
        GroupSummary s = group.summary().orElse(null);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("role", s == null ? "none" : s.role().toString());
        facts.put("leader", s == null ? "0" : Long.toString(s.leaderId()));
        facts.put("config_version", Long.toString(map.getConfigVersion()));
        facts.put("servers_up", Long.toString(countServers(map, ServerState.SERVER_RUNNING)));
        facts.put("servers_down", Long.toString(countServers(map, ServerState.SERVER_DOWN)));
        facts.put("pending_tasks", Long.toString(MetaScheduler.pendingTasks(map)));
        if (s != null && s.failure() != null) {
            facts.put("failure", s.failure());
        }
        Optional<String> crash = raft.threadCrash();
        crash.ifPresent(c -> facts.put("thread_crash", c));
        boolean live = !closed && crash.isEmpty();
        return new Health(live, live && s != null && s.leaderId() != 0 && s.failure() == null, facts);
    }

    public long serverId() {
        return config.serverId();
    }

    public int grpcPort() {
        return grpc.getPort();
    }

    public int raftPort() {
        return transport.port();
    }

    public int httpPort() {
        return http.port();
    }

    public MetaGroup group() {
        return group;
    }

    public ClusterMap currentMap() {
        return stateMachine.currentMap();
    }

    /** Stops serving and closes everything in the reverse order of starting; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable c : closeOrder) {
            try {
                c.close();
            } catch (Exception e) {
                // Keep closing the rest: a stuck part must not leave the stores open.
                LOG.error("error while stopping meta-server {}", config.serverId(), e);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        closeOrder.clear();
    }
}

package io.shardkv.raft.runtime;

import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.storage.RetentionPolicy;
import io.shardkv.raft.storage.RocksLogEngine;
import io.shardkv.raft.transport.RaftTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * Several {@link RaftServer}s in one JVM, each with its own RocksDB log engine in a temporary
 * directory, connected by a {@link ClusterNetwork}: in-process by default, or real gRPC. Servers
 * can be stopped (threads and engine closed, as after a crash of the process) and restarted from
 * their directories.
 */
final class RuntimeTestCluster implements AutoCloseable {
    static final Duration DEADLINE = Duration.ofSeconds(30);

    private final Path dir;
    private final ClusterNetwork network;
    private final Map<Long, RaftServer> servers = new HashMap<>();
    private final Map<Long, RocksLogEngine> engines = new HashMap<>();
    private final Map<Long, SimpleMeterRegistry> registries = new HashMap<>();
    /** State machines by (server, group); replaced when a server restarts. */
    private final Map<Long, Map<Long, RecordingStateMachine>> machines = new HashMap<>();
    private final BiFunction<Long, Long, RecordingStateMachine> machineFactory;
    private final RetentionPolicy retention;
    private boolean quiesce = true;
    private long maxApplyBacklogBytes = RuntimeConfig.DEFAULT_MAX_APPLY_BACKLOG_BYTES;
    /** Each server's monotonic clock; the real one unless a test shifts it. */
    private final Map<Long, AtomicLong> clockOffsetNanos = new HashMap<>();

    RuntimeTestCluster(Path dir, RetentionPolicy retention, BiFunction<Long, Long, RecordingStateMachine> machineFactory) {
        this(dir, retention, machineFactory, ClusterNetwork.inProcess());
    }

    RuntimeTestCluster(Path dir, RetentionPolicy retention, BiFunction<Long, Long, RecordingStateMachine> machineFactory,
                       ClusterNetwork network) {
        this.dir = dir;
        this.retention = retention;
        this.machineFactory = machineFactory;
        this.network = network;
    }

    static RuntimeTestCluster inMemoryMachines(Path dir) {
        return new RuntimeTestCluster(dir, RetentionPolicy.defaults(), (s, g) -> RecordingStateMachine.inMemory());
    }

    /** Servers that talk real gRPC on 127.0.0.1. */
    static RuntimeTestCluster overGrpc(Path dir, RetentionPolicy retention,
                                       BiFunction<Long, Long, RecordingStateMachine> machineFactory) {
        return new RuntimeTestCluster(dir, retention, machineFactory, new GrpcClusterNetwork(dir));
    }

    /** Bounds what each server hands its appliers before they catch up (for servers started from now on). */
    RuntimeTestCluster withMaxApplyBacklogBytes(long bytes) {
        maxApplyBacklogBytes = bytes;
        return this;
    }

    /** Keeps idle groups ticking and heartbeating, for tests that observe heartbeats. */
    RuntimeTestCluster withoutQuiescence() {
        quiesce = false;
        return this;
    }

    void start(long serverId) {
        RocksLogEngine engine = RocksLogEngine.open(dir.resolve("server-" + serverId));
        // Short ticks keep tests quick; elections still take several heartbeats.
        RuntimeConfig config = RuntimeConfig.defaults(serverId).withTickMillis(20)
                .withRaft(RaftConfig.defaults(serverId).withFeatures(true, true, quiesce)).withRetention(retention)
                .withMaxApplyBacklogBytes(maxApplyBacklogBytes);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RaftTransport transport = network.transportFor(serverId, registry);
        AtomicLong offset = clockOffsetNanos.computeIfAbsent(serverId, id -> new AtomicLong());
        RaftServer server = new RaftServer(config, engine, transport,
                SnapshotStore.open(dir.resolve("snapshots-" + serverId)), registry,
                new ThreadScheduler(serverId, config.applyThreads(), () -> System.nanoTime() + offset.get()));
        engines.put(serverId, engine);
        servers.put(serverId, server);
        registries.put(serverId, registry);
        machines.putIfAbsent(serverId, new HashMap<>());
        server.start();
        network.started(serverId, transport);
    }

    /** Stops a server's threads and closes its engine, like a process that died. */
    void stop(long serverId) {
        network.stopping(serverId);
        servers.remove(serverId).close();
        engines.remove(serverId).close();
    }

    /** Starts a stopped server again and re-hosts every group stored in its engine. */
    void restart(long serverId) {
        start(serverId);
        machines.get(serverId).clear();
        RaftServer server = servers.get(serverId);
        for (long groupId : server.storedGroups()) {
            RecordingStateMachine sm = machineFactory.apply(serverId, groupId);
            machines.get(serverId).put(groupId, sm);
            server.openGroup(groupId, sm);
        }
    }

    void createGroup(long serverId, long groupId, ConfState members) {
        RecordingStateMachine sm = machineFactory.apply(serverId, groupId);
        machines.get(serverId).put(groupId, sm);
        servers.get(serverId).createGroup(groupId, members, sm);
    }

    /**
     * Moves a server's clock forward, as a process that was paused (SIGSTOP, a long GC) finds
     * when it runs again: its pollers see that much time gone at once.
     */
    void jumpClock(long serverId, Duration by) {
        clockOffsetNanos.get(serverId).addAndGet(by.toNanos());
    }

    RaftServer server(long serverId) {
        return servers.get(serverId);
    }

    SimpleMeterRegistry registry(long serverId) {
        return registries.get(serverId);
    }

    RecordingStateMachine machine(long serverId, long groupId) {
        return machines.get(serverId).get(groupId);
    }

    /** The server that leads {@code groupId} according to the running servers, or NONE. */
    long leaderOf(long groupId) {
        for (RaftServer s : servers.values()) {
            var summary = s.summary(groupId);
            if (summary.isPresent() && summary.get().role() == Role.LEADER) {
                return s.serverId();
            }
        }
        return RawNode.NONE;
    }

    long awaitLeader(long groupId) {
        Await.until(DEADLINE, () -> "a leader for group " + groupId, () -> leaderOf(groupId) != RawNode.NONE);
        return leaderOf(groupId);
    }

    /** Proposes through whoever leads, retrying on refusals, until the write is acknowledged. */
    String write(long groupId, String command) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            long leader = leaderOf(groupId);
            if (leader == RawNode.NONE) {
                Await.until(DEADLINE, () -> "a leader for group " + groupId, () -> leaderOf(groupId) != RawNode.NONE);
                continue;
            }
            try {
                byte[] result = servers.get(leader).propose(groupId, command.getBytes(StandardCharsets.UTF_8))
                        .get(5, TimeUnit.SECONDS);
                return new String(result, StandardCharsets.UTF_8);
            } catch (ExecutionException | CompletionException e) {
                if (!(e.getCause() instanceof RaftRequestException rre)) {
                    throw new AssertionError("unexpected failure writing " + command, e.getCause());
                }
                last = rre;
                if (rre.kind() == RaftRequestException.Kind.GROUP_FAILED) {
                    throw rre;
                }
            } catch (TimeoutException e) {
                last = new RuntimeException("timed out", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("could not write " + command + " to group " + groupId, last);
    }

    @Override
    public void close() {
        for (long id : servers.keySet().toArray(new Long[0])) {
            stop(id);
        }
    }
}

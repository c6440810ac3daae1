package io.shardkv.bench;

import io.shardkv.raft.snapshot.SnapshotStore;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import io.shardkv.raft.runtime.RuntimeConfig;
import io.shardkv.raft.storage.RocksLogEngine;
import io.shardkv.raft.transport.GrpcRaftTransport;
import io.shardkv.raft.transport.GrpcTransportConfig;
import io.shardkv.raft.transport.PeerAddress;
import io.shardkv.raft.transport.PeerDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Three {@link RaftServer}s in one JVM on 127.0.0.1, connected by real gRPC on ephemeral
 * ports, each with its own RocksDB log engine in a temporary directory that {@link #close()}
 * deletes.
 */
final class BenchCluster implements AutoCloseable {
    static final long[] SERVER_IDS = {1L, 2L, 3L};

    private final Path dir;
    private final List<RaftServer> servers = new ArrayList<>();
    private final List<RocksLogEngine> engines = new ArrayList<>();
    private final List<SimpleMeterRegistry> registries = new ArrayList<>();

    private BenchCluster(Path dir) {
        this.dir = dir;
    }

    static BenchCluster start(long tickMillis) {
        Path dir;
        try {
            dir = Files.createTempDirectory("shardkv-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BenchCluster cluster = new BenchCluster(dir);
        try {
            PeerDirectory directory = new PeerDirectory();
            for (long id : SERVER_IDS) {
                RocksLogEngine engine = RocksLogEngine.open(dir.resolve("server-" + id));
                cluster.engines.add(engine);
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                GrpcTransportConfig tc = GrpcTransportConfig.builder()
                        .host("127.0.0.1").port(0).build();
                GrpcRaftTransport transport = new GrpcRaftTransport(tc, directory, registry);
                RaftServer server = new RaftServer(RuntimeConfig.defaults(id).withTickMillis(tickMillis), engine,
                        transport, SnapshotStore.open(dir.resolve("snapshots-" + id)), registry);
                cluster.servers.add(server);
                cluster.registries.add(registry);
                server.start();
                directory.put(id, new PeerAddress("127.0.0.1", transport.port()));
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Creates group {@code groupId} with voters 1, 2, 3 on every server. */
    void createGroup(long groupId) {
        for (RaftServer s : servers) {
            s.createGroup(groupId, ConfState.ofVoters(SERVER_IDS[0], SERVER_IDS[1], SERVER_IDS[2]),
                    new CountingStateMachine());
        }
    }

    List<RaftServer> servers() {
        return servers;
    }

    /** The server that leads the group according to the published summaries, or null. */
    RaftServer leaderOf(long groupId) {
        for (RaftServer s : servers) {
            Optional<GroupSummary> summary = s.summary(groupId);
            if (summary.isPresent() && summary.get().role() == Role.LEADER) {
                return s;
            }
        }
        return null;
    }

    RaftServer server(long serverId) {
        for (RaftServer s : servers) {
            if (s.serverId() == serverId) {
                return s;
            }
        }
        return null;
    }

    /** Waits until every group in [1, groups] has a leader; returns false on timeout. */
    boolean awaitLeaders(int groups, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int next = 1;
        while (next <= groups) {
            if (leaderOf(next) != null) {
                next++;
                continue;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Fraction of all replicas of groups [1, groups] that are quiesced. */
    double quiescedFraction(int groups) {
        long quiesced = 0;
        for (RaftServer s : servers) {
            for (long g = 1; g <= groups; g++) {
                Optional<GroupSummary> summary = s.summary(g);
                if (summary.isPresent() && summary.get().quiesced()) {
                    quiesced++;
                }
            }
        }
        return quiesced / (double) (groups * (long) servers.size());
    }

    /** Number of groups in [1, groups] whose leader, as seen by some server, is not NONE. */
    long groupsWithLeader(int groups) {
        long n = 0;
        for (long g = 1; g <= groups; g++) {
            if (leaderOf(g) != null) {
                n++;
            }
        }
        return n;
    }

    /** Synced log writes (fsyncs) of all servers so far, from the {@code raft.log.sync} timers. */
    long syncCount() {
        long n = 0;
        for (SimpleMeterRegistry r : registries) {
            Timer t = r.find("raft.log.sync").timer();
            n += t == null ? 0 : t.count();
        }
        return n;
    }

    /** Entries written by all synced log writes so far ({@code raft.log.sync.entries}). */
    double syncedEntries() {
        double n = 0;
        for (SimpleMeterRegistry r : registries) {
            DistributionSummary d = r.find("raft.log.sync.entries").summary();
            n += d == null ? 0 : d.totalAmount();
        }
        return n;
    }

    @Override
    public void close() {
        for (RaftServer s : servers) {
            try {
                s.close();
            } catch (RuntimeException e) {
                System.err.println("closing server " + s.serverId() + ": " + e);
            }
        }
        for (RocksLogEngine e : engines) {
            try {
                e.close();
            } catch (RuntimeException ex) {
                System.err.println("closing log engine: " + ex);
            }
        }
        servers.clear();
        engines.clear();
        deleteRecursively(dir);
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("could not delete " + p + ": " + e);
                }
            });
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }

    static boolean isNone(long id) {
        return id == RawNode.NONE;
    }
}

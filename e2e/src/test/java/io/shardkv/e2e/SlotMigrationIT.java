package io.shardkv.e2e;

import static io.shardkv.e2e.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.client.KvClient;
import io.shardkv.client.KvPair;
import io.shardkv.client.MetaAdmin;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slot moves between real processes (DESIGN 5): under concurrent writes and reads with no
 * client-visible error and nothing acknowledged lost; back and forth; with the source's leader,
 * the target's leader and the meta leader killed -9 in the middle of a move; a source replica
 * restarted after the delete; and a linearizable history across continuous moves and a leader
 * kill. Migration is throttled (200 KB/s) so that kills land while slots are being copied, and
 * balancing is off so that only these moves change owners.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlotMigrationIT {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int KEYS = 4_000;

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static KvClient client;
    static MetaAdmin admin;
    /** Every key and its value as last acknowledged; the store must match it after every test. */
    static final Map<String, String> expected = new ConcurrentHashMap<>();

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.up(dir.resolve("cluster"), 3, 3, 2, 3, Map.of(
                "SHARDKV_MIGRATION_BYTES_PER_SECOND", "200000", "SHARDKV_SLOT_BALANCE_MILLIS", "0"));
        client = newClient();
        admin = client.admin();
        String value = "x".repeat(1000);
        List<java.util.concurrent.CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            String key = String.format("key/%05d", i);
            writes.add(client.putAsync(key, value + i));
            expected.put(key, value + i);
            if (writes.size() == 64) {
                writes.forEach(java.util.concurrent.CompletableFuture::join);
                writes.clear();
            }
        }
        writes.forEach(java.util.concurrent.CompletableFuture::join);
    }

    @AfterAll
    static void stopCluster() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KvClient newClient() {
        return KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.clientSecurity()).requestDeadline(Duration.ofSeconds(30))
                .build();
    }

    private static List<Integer> range(int from, int toInclusive) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= toInclusive; i++) {
            out.add(i);
        }
        return out;
    }

    /** Writers (each its own keys, tracking what was acknowledged) and readers, until stopped. */
    private static final class Load implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger errors = new AtomicInteger();
        final AtomicReference<Throwable> firstError = new AtomicReference<>();
        final AtomicLong operations = new AtomicLong();
        final List<Thread> threads = new ArrayList<>();
        final List<KvClient> clients = new ArrayList<>();

        Load(int writers, int readers) {
            for (int w = 0; w < writers + readers; w++) {
                KvClient c = newClient();
                clients.add(c);
                boolean writer = w < writers;
                int id = w;
                Thread t = new Thread(() -> {
                    Random random = new Random(id);
                    for (int n = 0; !stop.get(); n++) {
                        // Writer w owns the keys with index = w (mod writers): its acknowledged value is the latest.
                        int index = writer ? (random.nextInt(KEYS / writers) * writers + id) : random.nextInt(KEYS);
                        String key = String.format("key/%05d", index);
                        try {
                            if (writer) {
                                String v = "w" + id + "-" + n;
                                c.put(utf8(key), utf8(v));
                                expected.put(key, v);
                            } else {
                                assertThat(c.get(utf8(key))).as(key).isPresent();
                            }
                            operations.incrementAndGet();
                        } catch (RuntimeException | AssertionError e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e);
                        }
                    }
                }, (writer ? "writer-" : "reader-") + w);
                threads.add(t);
                t.start();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
            }
            clients.forEach(KvClient::close);
        }
    }

    private static Task awaitMove(long taskId) {
        Task[] last = new Task[1];
        Await.until(DEADLINE, () -> "move " + taskId + " to finish: " + last[0] + "\n" + cluster.logTails(), () -> {
            List<MigrationInfo> infos = admin.migrationStatus(taskId);
            last[0] = infos.get(0).getTask();
            return last[0].getState() != TaskState.PENDING;
        });
        return last[0];
    }

    private static void awaitStep(long taskId, String step) {
        Await.until(DEADLINE, () -> "move " + taskId + " to reach step " + step, () -> {
            Task t = admin.migrationStatus(taskId).get(0).getTask();
            return t.getStep().equals(step) || t.getState() != TaskState.PENDING;
        });
    }

    private static long leaderOf(long groupId) {
        long[] leader = new long[1];
        Await.until(DEADLINE, () -> "a leader for group " + groupId, () -> {
            Optional<GroupLeader> l = admin.clusterStatus().getLeadersList().stream()
                    .filter(x -> x.getGroupId() == groupId && x.getLeaderServerId() != 0).findFirst();
            l.ifPresent(x -> leader[0] = x.getLeaderServerId());
            return l.isPresent();
        });
        return leader[0];
    }

    /** The store holds exactly the expected pairs: every key once, in order, with its last acknowledged value. */
    private static void assertStoreMatches() {
        TreeMap<String, String> want = new TreeMap<>(expected);
        List<String> keys = new ArrayList<>();
        client.scan(utf8("key/"), utf8("key0")).forEachRemaining((KvPair p) -> {
            keys.add(p.keyUtf8());
            assertThat(Bytes.string(p.getValue())).as("value of %s", p.keyUtf8()).isEqualTo(want.get(p.keyUtf8()));
        });
        assertThat(keys).containsExactlyElementsOf(want.keySet());
    }

    private static void assertOwners(List<Integer> slots, long group) {
        ClusterMap map = admin.getClusterMap();
        for (int s : slots) {
            assertThat(map.getSlots(s).getGroupId()).as("owner of slot %d", s).isEqualTo(group);
            assertThat(map.getSlots(s).getState()).isEqualTo(SlotState.RUNNING);
        }
    }

    @Test
    @Order(1)
    void movesBackAndForthUnderLoadWithNoClientErrorAndNothingLost() throws Exception {
        List<Integer> slots = range(0, 255);
        // A client that learned the map now and sleeps through every move of this test.
        KvClient stale = newClient();
        assertThat(stale.get(utf8("key/00000"))).isPresent();
        try (Load load = new Load(4, 2)) {
            Await.until(DEADLINE, () -> "load running", () -> load.operations.get() > 200);
            CommandResult there = cluster.kvctl("slot", "move", "0-255", "--to", "2");
            assertThat(there.exitCode()).as("%s", there).isZero();
            assertThat(there.stdout()).contains("moved slots 0-255 to group 2");
            assertOwners(slots, 2);
            long afterFirst = load.operations.get();
            Await.until(DEADLINE, () -> "load going on after the move", () -> load.operations.get() > afterFirst + 200);
            CommandResult back = cluster.kvctl("slot", "move", "0-127", "--to", "1");
            assertThat(back.exitCode()).as("%s", back).isZero();
            assertOwners(range(0, 127), 1);
            assertOwners(range(128, 255), 2);
            load.close();
            assertThat(load.errors.get()).as("client errors (first: %s)", load.firstError.get()).isZero();
        }
        assertThat(admin.getClusterMap().getSlots(0).getEpoch()).isEqualTo(2);
        assertStoreMatches();
        // Many map versions behind, it is told WRONG_GROUP, refreshes its map and goes on.
        try (stale) {
            for (int i = 0; i < KEYS; i += 7) {
                String key = String.format("key/%05d", i);
                stale.put(utf8(key), utf8("stale-" + i));
                expected.put(key, "stale-" + i);
                assertThat(stale.get(utf8(key)).map(Bytes::string)).contains("stale-" + i);
            }
        }
        assertStoreMatches();
    }

    @Test
    @Order(2)
    void killingTheSourceLeaderTheTargetLeaderAndTheMetaLeaderMidMoveDoesNotStopIt() throws Exception {
        List<String> down = new ArrayList<>();
        try (Load load = new Load(2, 1)) {
            // Source leader killed while the slots are being copied.
            long move = admin.moveSlots(range(300, 511), 2).get(0);
            // The same request again, as after a timeout: it joins the move rather than failing or adding one.
            assertThat(admin.moveSlots(range(300, 511), 2)).containsExactly(move);
            awaitStep(move, "begun");
            String source = "kv-" + leaderOf(1);
            kill(source, down);
            assertThat(awaitMove(move).getState()).isEqualTo(TaskState.DONE);
            assertOwners(range(300, 511), 2);
            // Back in its groups before the next kill: two of three replicas down would leave no quorum,
            // and the move below would rightly abort after its freeze timeout.
            restart(source, down);

            // Target leader killed while copying, the other way round.
            long back = admin.moveSlots(range(400, 511), 1).get(0);
            awaitStep(back, "begun");
            String target = "kv-" + leaderOf(1);
            kill(target, down);
            assertThat(awaitMove(back).getState()).isEqualTo(TaskState.DONE);
            assertOwners(range(400, 511), 1);
            restart(target, down);

            // Meta leader killed in the middle of a move: the new leader resumes it from the map.
            long third = admin.moveSlots(range(600, 700), 1).get(0);
            awaitStep(third, "begun");
            String meta = "meta-" + admin.clusterStatus().getMetaLeaderId();
            kill(meta, down);
            assertThat(awaitMove(third).getState()).isEqualTo(TaskState.DONE);
            assertOwners(range(600, 700), 1);
            cluster.start(meta);
            down.remove(meta);
            load.close();
            // Kills make writes time out and retry; what the client saw must still be no error.
            assertThat(load.errors.get()).as("client errors (first: %s)", load.firstError.get()).isZero();
        } finally {
            // A failure above must not leave servers down for the tests after this one.
            for (String name : down) {
                cluster.start(name);
            }
        }
        assertStoreMatches();
    }

    private static void kill(String name, List<String> down) {
        cluster.kill(name);
        down.add(name);
    }

    /** Starts a killed kv-server and waits until it has rejoined every group it hosts. */
    private static void restart(String name, List<String> down) {
        cluster.start(name);
        down.remove(name);
        awaitRejoined(Long.parseLong(name.substring("kv-".length())));
    }

    /**
     * Waits until kv-server {@code id} heartbeats again and, in every group it hosts, follows or
     * leads a leader and has applied close to what that leader reports committed: it counts
     * towards the group's quorum again.
     */
    private static void awaitRejoined(long id) {
        Await.until(DEADLINE, () -> "kv-server " + id + " back in its groups: " + admin.clusterStatus().getServersList(),
                () -> {
                    ClusterStatusResponse status = admin.clusterStatus();
                    Map<Long, ServerStatus> servers = new TreeMap<>();
                    status.getServersList().forEach(s -> servers.put(s.getServerId(), s));
                    ServerStatus me = servers.get(id);
                    if (me == null || me.getLastHeartbeatAgeMillis() < 0 || me.getLastHeartbeatAgeMillis() > 2_000) {
                        return false;
                    }
                    for (GroupReport mine : me.getGroupsList()) {
                        ServerStatus leader = servers.get(mine.getLeaderId());
                        if (mine.getLeaderId() == 0 || leader == null) {
                            return false;
                        }
                        long committed = leader.getGroupsList().stream().filter(g -> g.getGroupId() == mine.getGroupId())
                                .mapToLong(GroupReport::getCommit).max().orElse(Long.MAX_VALUE);
                        if (mine.getApplied() + 100 < committed) {
                            return false;
                        }
                    }
                    return !me.getGroupsList().isEmpty();
                });
    }

    @Test
    @Order(3)
    void aSourceReplicaRestartedAfterTheDeleteDoesNotBringTheSlotsBack() {
        long move = admin.moveSlots(range(800, 850), 1).get(0);
        assertThat(awaitMove(move).getState()).isEqualTo(TaskState.DONE);
        // New values land at the new owner; a restarted replica of the old one replays its log.
        for (int i = 0; i < KEYS; i++) {
            String key = String.format("key/%05d", i);
            int slot = Bytes.slot(key);
            if (slot >= 800 && slot <= 850) {
                client.put(utf8(key), utf8("after-" + i));
                expected.put(key, "after-" + i);
            }
        }
        cluster.kill("kv-1");
        cluster.start("kv-1");
        awaitRejoined(1);
        assertOwners(range(800, 850), 1);
        assertStoreMatches();
    }

    @Test
    @Order(4)
    void aConcurrentHistoryAcrossContinuousMovesAndALeaderKillIsLinearizable() throws Exception {
        List<String> keys = List.of("lin/a", "lin/b", "lin/c", "lin/d");
        List<Integer> keySlots = keys.stream().map(Bytes::slot).distinct().toList();
        RecordedClients clients = new RecordedClients(SlotMigrationIT::newClient, keys, 5, 100);
        String killed = null;
        try {
            // The keys' slots go back and forth between the groups; a leader dies in the middle.
            for (int round = 0; round < 6; round++) {
                long owner = admin.getClusterMap().getSlots(keySlots.get(0)).getGroupId();
                long to = owner == 1 ? 2 : 1;
                List<Long> moves = admin.moveSlots(keySlots, to);
                if (round == 2) {
                    killed = "kv-" + leaderOf(to);
                    cluster.kill(killed);
                }
                for (long m : moves) {
                    assertThat(awaitMove(m).getState()).isEqualTo(TaskState.DONE);
                }
                if (round == 3) {
                    restart(killed, new ArrayList<>());
                    killed = null;
                }
            }
            int before = clients.size();
            Await.until(DEADLINE, () -> "more operations after the moves", () -> clients.size() >= before + 50);
        } finally {
            clients.close();
            if (killed != null) {
                cluster.start(killed);
            }
        }
        CheckReport<KvInput, KvOutput> report = clients.stopAndCheck();
        assertThat(report.isOk()).as("linearizability of %d operations: %s", clients.size(), report.explain()).isTrue();
    }
}

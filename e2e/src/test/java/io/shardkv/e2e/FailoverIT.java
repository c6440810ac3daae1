package io.shardkv.e2e;

import static io.shardkv.e2e.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.client.KvClient;
import io.shardkv.client.MetaAdmin;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.ServerStatus;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a shard group's leader while clients write: writes go on under a new leader, no
 * acknowledged write is lost, the killed server catches up after a restart, and a concurrent
 * client history across such a kill is linearizable.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static MetaAdmin admin;
    static KvClient adminClient;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.up(dir.resolve("cluster"), 3, 3, 2, 3);
        adminClient = newClient();
        admin = adminClient.admin();
    }

    @AfterAll
    static void stopCluster() {
        if (adminClient != null) {
            adminClient.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KvClient newClient() {
        return KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.clientSecurity()).requestDeadline(Duration.ofSeconds(20)).build();
    }

    @Test
    @Order(1)
    void acknowledgedWritesSurviveKillingTheLeader() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        AtomicInteger failures = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        List<KvClient> clients = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            KvClient c = newClient();
            clients.add(c);
            int writer = w;
            Thread t = new Thread(() -> {
                for (int n = 0; !stop.get(); n++) {
                    String key = "w" + writer + "/" + n;
                    try {
                        c.put(utf8(key), utf8("v" + n));
                        acked.put(key, "v" + n);
                    } catch (RuntimeException e) {
                        // Not acknowledged: it may or may not have happened, and is not checked.
                        failures.incrementAndGet();
                    }
                }
            }, "writer-" + w);
            writers.add(t);
            t.start();
        }
        try {
            Await.until(DEADLINE, () -> "200 writes before the kill, have " + acked.size(), () -> acked.size() >= 200);
            long victim = leaderOf(1);
            String victimName = "kv-" + victim;
            cluster.kill(victimName);
            int atKill = acked.size();
            Await.until(DEADLINE, () -> "300 more writes after killing " + victimName + " (have "
                    + (acked.size() - atKill) + ", failures " + failures.get() + ")\n" + cluster.logTails(),
                    () -> acked.size() >= atKill + 300);
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }

            try (KvClient reader = newClient()) {
                for (Map.Entry<String, String> e : acked.entrySet()) {
                    assertThat(reader.get(utf8(e.getKey())).map(Bytes::string)).as("acknowledged %s", e.getKey())
                            .contains(e.getValue());
                }
            }

            cluster.start(victimName);
            Await.until(DEADLINE, () -> victimName + " catches up with every group it replicates",
                    () -> caughtUp(victim));
        } finally {
            stop.set(true);
            clients.forEach(KvClient::close);
        }
    }

    @Test
    @Order(2)
    void concurrentHistoryAcrossALeaderKillIsLinearizable() throws Exception {
        RecordedClients clients = new RecordedClients(FailoverIT::newClient, List.of("lin/a", "lin/b", "lin/c", "lin/d"),
                6, 0);
        String victimName = null;
        try {
            Await.until(DEADLINE, () -> "300 operations before the kill", () -> clients.size() >= 300);
            long victim = leaderOf(groupOfKey("lin/a"));
            victimName = "kv-" + victim;
            cluster.kill(victimName);
            int atKill = clients.size();
            Await.until(DEADLINE, () -> "600 operations after the kill", () -> clients.size() >= atKill + 600);
        } finally {
            clients.close();
        }
        cluster.start(victimName);

        CheckReport<KvInput, KvOutput> report = clients.stopAndCheck();
        assertThat(report.isOk()).as("linearizability of %d operations: %s", clients.size(), report.explain()).isTrue();
    }

    @Test
    @Order(3)
    void aFollowerStoppedForAMinuteUnderWritesCatchesUpFromTheLogNotASnapshot() throws Exception {
        long leader = leaderOf(1);
        long follower = admin.getClusterMap().getGroupsList().stream().filter(g -> g.getId() == 1).findFirst()
                .orElseThrow().getReplicasList().stream().mapToLong(r -> r.getServerId()).filter(id -> id != leader)
                .findFirst().orElseThrow();
        String name = "kv-" + follower;
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < 64; i++) {
            if (groupOfKey("away/" + i) == 1) {
                keys.add("away/" + i);
            }
        }
        long commitBefore = commitOf(1);
        cluster.kill(name);
        // A minute of writes to group 1, and more than the 20,000 entries a log kept before
        // retention followed its followers (bounded, so a slow machine does not write forever).
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong acked = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        List<KvClient> clients = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            KvClient c = newClient();
            clients.add(c);
            int writer = w;
            Thread t = new Thread(() -> {
                for (int n = 0; !stop.get(); n++) {
                    try {
                        c.put(utf8(keys.get((writer * 8 + n) % keys.size())), utf8("v" + n));
                        acked.incrementAndGet();
                    } catch (RuntimeException e) {
                        // not acknowledged; this test counts entries, not values
                    }
                }
            }, "away-writer-" + w);
            writers.add(t);
            t.start();
        }
        long started = System.nanoTime();
        try {
            Await.until(Duration.ofSeconds(150), () -> "60 s and 25,000 entries of group 1 while " + name
                    + " is down (" + acked.get() + " writes acknowledged)",
                    () -> System.nanoTime() - started >= Duration.ofSeconds(60).toNanos()
                            && commitOf(1) - commitBefore >= 25_000);
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }
            clients.forEach(KvClient::close);
        }
        cluster.start(name);
        Await.until(DEADLINE, () -> name + " catches up with every group it replicates", () -> caughtUp(follower));
        String metrics = httpGet(cluster.kvHttpAddress(follower), "/metrics");
        assertThat(metricValue(metrics, "raft_snapshots_received_total"))
                .as("snapshots %s needed after being away for a minute; the servers' snapshot and leader lines:\n%s",
                        name, snapshotAndLeaderLines()).isZero();
    }

    /** What the kv-servers logged about snapshots and leadership, for a failure message. */
    private static String snapshotAndLeaderLines() {
        StringBuilder sb = new StringBuilder();
        for (int n = 1; n <= 3; n++) {
            try {
                for (String line : java.nio.file.Files.readAllLines(cluster.dir.resolve("kv-" + n).resolve("server.log"))) {
                    String l = line.toLowerCase(java.util.Locale.ROOT);
                    if (l.contains("snapshot") && !l.contains("setting") || l.contains("leader") && l.contains("became")) {
                        sb.append("kv-").append(n).append(": ").append(line).append('\n');
                    }
                }
            } catch (java.io.IOException e) {
                sb.append("kv-").append(n).append(": ").append(e).append('\n');
            }
        }
        return sb.toString();
    }

    private static long commitOf(long groupId) {
        return admin.clusterStatus().getServersList().stream().flatMap(s -> s.getGroupsList().stream())
                .filter(r -> r.getGroupId() == groupId && r.getRole().equals("LEADER"))
                .mapToLong(GroupReport::getCommit).max().orElse(0);
    }

    private static String httpGet(String hostPort, String path) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + hostPort + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of an unlabelled Prometheus sample, or -1 when the text has none. */
    private static double metricValue(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }

    private static long groupOfKey(String key) {
        return admin.getClusterMap().getSlots(Bytes.slot(key)).getGroupId();
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

    /** Every group the server replicates has applied, there, what its leader had committed. */
    private static boolean caughtUp(long serverId) {
        ClusterStatusResponse status = admin.clusterStatus();
        Optional<ServerStatus> self = status.getServersList().stream().filter(s -> s.getServerId() == serverId).findFirst();
        if (self.isEmpty() || self.get().getGroupsCount() == 0) {
            return false;
        }
        for (GroupReport mine : self.get().getGroupsList()) {
            long leaderCommit = status.getServersList().stream()
                    .flatMap(s -> s.getGroupsList().stream())
                    .filter(r -> r.getGroupId() == mine.getGroupId() && r.getRole().equals("LEADER"))
                    .mapToLong(GroupReport::getCommit).max().orElse(Long.MAX_VALUE);
            if (mine.getApplied() < leaderCommit) {
                return false;
            }
        }
        return true;
    }
}

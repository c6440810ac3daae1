package io.shardkv.e2e;

import static io.shardkv.e2e.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.client.KvClient;
import io.shardkv.client.KvException;
import io.shardkv.client.MetaAdmin;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.raft.testing.Await;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A newcomer's path through a real local cluster: {@code bin/kv-cluster up} (3 meta-servers, 4
 * kv-servers, 3 shard groups of 3 replicas), kvctl and KvClient against it, shard-group and
 * member administration, and bad input. Every server is a separate JVM on 127.0.0.1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterEndToEndIT {
    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static KvClient client;
    static MetaAdmin admin;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.up(dir.resolve("cluster"), 3, 4, 3, 3);
        client = KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.clientSecurity()).requestDeadline(Duration.ofSeconds(20)).build();
        admin = client.admin();
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

    @Test
    @Order(1)
    void upOnARunningClusterStartsNothing() {
        long pid = cluster.pid("kv-1");
        CommandResult again = cluster.script("up");
        assertThat(again.exitCode()).as("%s", again).isZero();
        assertThat(again.stdout()).contains("already running");
        assertThat(cluster.pid("kv-1")).isEqualTo(pid);

        CommandResult status = cluster.script("status");
        assertThat(status.exitCode()).as("%s", status).isZero();
        assertThat(status.stdout()).contains("kv-4").contains("meta-3").contains("running");
    }

    @Test
    @Order(2)
    void kvctlPutGetDeleteScan() {
        assertThat(cluster.kvctl("put", "greeting", "hello world").exitCode()).isZero();
        CommandResult get = cluster.kvctl("get", "greeting");
        assertThat(get.exitCode()).as("%s", get).isZero();
        assertThat(get.stdout().trim()).isEqualTo("hello world");

        for (String k : List.of("fruit/apple", "fruit/banana", "fruit/cherry")) {
            assertThat(cluster.kvctl("put", k, k.toUpperCase()).exitCode()).isZero();
        }
        CommandResult scan = cluster.kvctl("scan", "--start", "fruit/", "--end", "fruit0");
        assertThat(scan.exitCode()).as("%s", scan).isZero();
        assertThat(scan.stdout().lines().toList()).containsExactly(
                "fruit/apple\tFRUIT/APPLE", "fruit/banana\tFRUIT/BANANA", "fruit/cherry\tFRUIT/CHERRY");

        assertThat(cluster.kvctl("del", "greeting").exitCode()).isZero();
        CommandResult absent = cluster.kvctl("get", "greeting");
        assertThat(absent.exitCode()).as("%s", absent).isEqualTo(1);
        assertThat(absent.stderr()).contains("not found");
    }

    @Test
    @Order(3)
    void clientWritesReadsAndScansAcrossGroupsInKeyOrder() {
        TreeMap<String, String> expected = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            String key = String.format("user/%04d", i);
            expected.put(key, "value-" + i);
            client.put(utf8(key), utf8("value-" + i));
        }
        for (var e : expected.entrySet()) {
            assertThat(client.get(utf8(e.getKey())).map(Bytes::string)).contains(e.getValue());
        }
        Set<Long> groups = new HashSet<>();
        ClusterMap map = admin.getClusterMap();
        for (String key : expected.keySet()) {
            groups.add(map.getSlots(Bytes.slot(key)).getGroupId());
        }
        assertThat(groups).as("300 keys spread over every group").hasSize(3);

        List<String> scanned = new ArrayList<>();
        client.scan(utf8("user/"), utf8("user0")).forEachRemaining(p -> {
            assertThat(Bytes.string(p.getValue())).isEqualTo(expected.get(Bytes.string(p.getKey())));
            scanned.add(Bytes.string(p.getKey()));
        });
        assertThat(scanned).containsExactlyElementsOf(expected.keySet());

        List<String> range = new ArrayList<>();
        client.scan(utf8("user/0100"), utf8("user/0200")).forEachRemaining(p -> range.add(Bytes.string(p.getKey())));
        assertThat(range).containsExactlyElementsOf(expected.subMap("user/0100", "user/0200").keySet());

        assertThat(client.delete(utf8("user/0007"))).isTrue();
        assertThat(client.delete(utf8("user/0007"))).isFalse();
        assertThat(client.get(utf8("user/0007"))).isEmpty();
    }

    @Test
    @Order(4)
    void addAGroupAddAMemberAndRemoveTheLeader() {
        CommandResult add = cluster.kvctl("group", "add", "--replicas", "3");
        assertThat(add.exitCode()).as("%s", add).isZero();
        ClusterMap map = admin.getClusterMap();
        assertThat(map.getGroupsList()).hasSize(4);
        long newGroup = map.getGroupsList().stream().mapToLong(ShardGroupInfo::getId).max().orElseThrow();
        awaitLeader(newGroup);
        // The balancer gives the new group its share of the slots by moves, by itself.
        Await.until(Duration.ofSeconds(120), () -> "group " + newGroup + " balanced in: "
                + admin.getClusterMap().getSlotsList().stream().filter(s -> s.getGroupId() == newGroup).count()
                + " slots", () -> {
            ClusterMap m = admin.getClusterMap();
            return m.getSlotsList().stream().filter(s -> s.getGroupId() == newGroup).count() >= 1024 / 4 - 8
                    && m.getTasksList().stream().noneMatch(t -> t.getState() == io.shardkv.meta.proto.TaskState.PENDING);
        });
        assertThat(client.scan(utf8("user/"), utf8("user0"))).toIterable().hasSize(299);

        // Group 1 lives on three of the four kv-servers; add the fourth, then remove the leader.
        ShardGroupInfo g1 = group(map, 1);
        long outsider = List.of(1L, 2L, 3L, 4L).stream()
                .filter(s -> g1.getReplicasList().stream().noneMatch(r -> r.getServerId() == s))
                .findFirst().orElseThrow();
        CommandResult memberAdd = cluster.kvctl("member", "add", "--group", "1", "--server", String.valueOf(outsider));
        assertThat(memberAdd.exitCode()).as("%s", memberAdd).isZero();
        assertThat(group(admin.getClusterMap(), 1).getReplicasList())
                .anyMatch(r -> r.getServerId() == outsider && r.getRole() == ReplicaRole.VOTER)
                .hasSize(4);

        long leader = awaitLeader(1);
        CommandResult memberRemove = cluster.kvctl("member", "remove", "--group", "1", "--server", String.valueOf(leader));
        assertThat(memberRemove.exitCode()).as("%s", memberRemove).isZero();
        assertThat(group(admin.getClusterMap(), 1).getReplicasList())
                .noneMatch(r -> r.getServerId() == leader).hasSize(3);

        // Group 1's data is still there, served by the new leader.
        String key = keyInGroup(1);
        client.put(utf8(key), utf8("after-removal"));
        assertThat(client.get(utf8(key)).map(Bytes::string)).contains("after-removal");
        assertThat(client.scan(utf8("user/"), utf8("user0"))).toIterable().hasSize(299);

        // Removing the group drains its slots to the others first; nothing is lost.
        CommandResult remove = cluster.kvctl("group", "remove", String.valueOf(newGroup));
        assertThat(remove.exitCode()).as("%s", remove).isZero();
        assertThat(admin.getClusterMap().getGroupsList()).noneMatch(g -> g.getId() == newGroup);
        assertThat(admin.getClusterMap().getSlotsList()).allSatisfy(s -> assertThat(s.getGroupId()).isNotZero()
                .isNotEqualTo(newGroup));
        assertThat(client.scan(utf8("user/"), utf8("user0"))).toIterable().hasSize(299);
        assertThat(client.get(utf8(key)).map(Bytes::string)).contains("after-removal");
    }

    @Test
    @Order(5)
    void badInputGetsAClearErrorAndBreaksNothing() throws IOException {
        CommandResult emptyKey = cluster.kvctl("put", "", "v");
        assertThat(emptyKey.exitCode()).as("%s", emptyKey).isEqualTo(2);
        assertThat(emptyKey.stderr()).startsWith("kvctl: ").containsIgnoringCase("key");

        assertThatThrownBy(() -> client.put(new byte[8 * 1024 + 1], utf8("v")))
                .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("8192");
        assertThatThrownBy(() -> client.put(utf8("big"), new byte[4 * 1024 * 1024 + 1]))
                .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("4194304");
        assertThatThrownBy(() -> client.put(new byte[0], utf8("v")))
                .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));

        CommandResult noGroup = cluster.kvctl("member", "add", "--group", "999", "--server", "1");
        assertThat(noGroup.exitCode()).as("%s", noGroup).isEqualTo(4);
        assertThat(noGroup.stderr()).contains("999");
        CommandResult noServer = cluster.kvctl("member", "add", "--group", "1", "--server", "999");
        assertThat(noServer.exitCode()).as("%s", noServer).isEqualTo(4);
        assertThat(noServer.stderr()).contains("999");
        CommandResult removeUnknownGroup = cluster.kvctl("group", "remove", "999");
        assertThat(removeUnknownGroup.exitCode()).as("%s", removeUnknownGroup).isEqualTo(4);

        int silentPort;
        try (ServerSocket s = new ServerSocket(0)) {
            silentPort = s.getLocalPort();
        }
        CommandResult unreachable = Commands.run(Duration.ofSeconds(60),
                java.util.Map.of("SHARDKV_CERTS_DIR", cluster.certsDir().toString()), "kvctl",
                "--meta", "127.0.0.1:" + silentPort, "--timeout", "3s", "get", "k");
        assertThat(unreachable.exitCode()).as("%s", unreachable).isEqualTo(3);
        assertThat(unreachable.stderr()).startsWith("kvctl: ").contains("127.0.0.1:" + silentPort);

        for (String name : List.of("meta-1", "meta-2", "meta-3", "kv-1", "kv-2", "kv-3", "kv-4")) {
            assertThat(cluster.isAlive(name)).as("%s still running", name).isTrue();
        }
        client.put(utf8("still"), utf8("works"));
        assertThat(client.get(utf8("still")).map(Bytes::string)).contains("works");
    }

    @Test
    @Order(6)
    void leadersSpreadOverTheServersAndMoveOnRequest() {
        // The meta-server moves leaders by itself once no task is pending: 3 groups, 4 servers.
        Await.until(Duration.ofSeconds(90), () -> "each group led by a different server: "
                + admin.clusterStatus().getLeadersList(), () -> {
                    ClusterStatusResponse status = admin.clusterStatus();
                    Set<Long> leaders = new HashSet<>();
                    status.getLeadersList().forEach(l -> leaders.add(l.getLeaderServerId()));
                    return status.getLeadersCount() == status.getMap().getGroupsCount() && !leaders.contains(0L)
                            && leaders.size() == status.getMap().getGroupsCount();
                });

        long leader = awaitLeader(1);
        ShardGroupInfo g1 = group(admin.getClusterMap(), 1);
        long target = g1.getReplicasList().stream().mapToLong(r -> r.getServerId()).filter(s -> s != leader)
                .findFirst().orElseThrow();
        CommandResult moved = cluster.kvctl("group", "transfer-leader", "1", "--to", String.valueOf(target));
        assertThat(moved.exitCode()).as("%s", moved).isZero();
        assertThat(moved.stdout()).contains("task", "done");
        String key = keyInGroup(1);
        client.put(utf8(key), utf8("after-transfer"));
        assertThat(client.get(utf8(key)).map(Bytes::string)).contains("after-transfer");

        long outsider = List.of(1L, 2L, 3L, 4L).stream()
                .filter(s -> g1.getReplicasList().stream().noneMatch(r -> r.getServerId() == s))
                .findFirst().orElseThrow();
        CommandResult refused = cluster.kvctl("group", "transfer-leader", "1", "--to", String.valueOf(outsider));
        assertThat(refused.exitCode()).as("%s", refused).isEqualTo(4);
        assertThat(refused.stderr()).startsWith("kvctl: ").contains("not a voter");
    }

    private static ShardGroupInfo group(ClusterMap map, long id) {
        return map.getGroupsList().stream().filter(g -> g.getId() == id).findFirst()
                .orElseThrow(() -> new AssertionError("no group " + id + " in " + map));
    }

    private static long awaitLeader(long groupId) {
        long[] leader = new long[1];
        Await.until(Duration.ofSeconds(60), () -> "a leader for group " + groupId, () -> {
            ClusterStatusResponse status = admin.clusterStatus();
            Optional<Long> l = status.getLeadersList().stream().filter(x -> x.getGroupId() == groupId)
                    .map(x -> x.getLeaderServerId()).filter(x -> x != 0).findFirst();
            l.ifPresent(x -> leader[0] = x);
            return l.isPresent();
        });
        return leader[0];
    }

    private static String keyInGroup(long groupId) {
        ClusterMap map = admin.getClusterMap();
        for (int i = 0; ; i++) {
            String key = "probe/" + i;
            if (map.getSlots(Bytes.slot(key)).getGroupId() == groupId) {
                return key;
            }
        }
    }
}

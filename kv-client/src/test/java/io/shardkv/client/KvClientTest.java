package io.shardkv.client;

import io.shardkv.security.ClientSecurity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.common.ClientIds;
import io.shardkv.common.Limits;
import io.shardkv.common.Slots;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.kv.proto.WriteSession;
import io.shardkv.raft.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * KvClient's routing and retries against small gRPC servers that follow kv.proto and
 * meta.proto (see {@link TestKvServer}, {@link TestMetaServer}).
 */
class KvClientTest {
    private TestCluster cluster;
    private KvClient client;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private KvClient connect(Duration deadline) {
        client = KvClient.builder().security(ClientSecurity.insecure()).metaEndpoints(cluster.metaEndpoints()).requestDeadline(deadline).build();
        return client;
    }

    @Test
    void putGetDeleteRouteEachKeyToItsGroup() throws Exception {
        cluster = TestCluster.start(3, 3, 3, 1);
        connect(Duration.ofSeconds(10));
        for (int i = 0; i < 30; i++) {
            client.put("key-" + i, "value-" + i);
        }
        for (int i = 0; i < 30; i++) {
            assertThat(client.get("key-" + i)).contains("value-" + i);
            byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            assertThat(cluster.groupOfKey("key-" + i).data()).containsKey(key);
        }
        assertThat(client.get("missing")).isEmpty();
        assertThat(client.get("key-1", ReadConsistency.STALE)).contains("value-1");
        assertThat(client.delete("key-1")).isTrue();
        assertThat(client.delete("key-1")).isFalse();
        assertThat(client.get("key-1")).isEmpty();
    }

    @Test
    void dialsTheAddressAServerAdvertisesForClients() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        cluster.advertiseOnly();
        connect(Duration.ofSeconds(10));
        client.put("behind-nat", "reached");
        assertThat(client.get("behind-nat")).contains("reached");
    }

    @Test
    void followsNotLeaderHintsWhenTheMapHasNoLeaders() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        cluster.publishLeaders(false);
        cluster.group(1).setLeader(cluster.group(1).members().get(2));
        cluster.group(2).setLeader(cluster.group(2).members().get(1));
        connect(Duration.ofSeconds(10));
        for (int i = 0; i < 10; i++) {
            client.put("k" + i, "v" + i);
        }
        // A leader change after the client learned the old leader: one more redirect.
        cluster.group(1).setLeader(cluster.group(1).members().get(0));
        cluster.group(2).setLeader(cluster.group(2).members().get(2));
        for (int i = 0; i < 10; i++) {
            assertThat(client.get("k" + i)).contains("v" + i);
        }
    }

    @Test
    void refreshesTheMapOnWrongGroup() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        client.put("moving", "before");
        TestGroup from = cluster.groupOfKey("moving");
        TestGroup to = cluster.group(from.id() == 1 ? 2 : 1);
        int mapCallsBefore = cluster.metas().get(0).mapCalls();
        cluster.moveSlot(Slots.of("moving".getBytes(StandardCharsets.UTF_8)), from.id(), to.id());

        client.put("moving", "after");

        assertThat(to.data().get("moving".getBytes(StandardCharsets.UTF_8))).asString().isEqualTo("after");
        assertThat(cluster.metas().get(0).mapCalls()).isGreaterThan(mapCallsBefore);
        // The request carried the slot's epoch as the new map has it, so a group behind that move refuses it.
        int slot = Slots.of("moving".getBytes(StandardCharsets.UTF_8));
        assertThat(cluster.server(to.leaderId()).lastHeader.getSlotEpochsMap()).containsEntry(slot, 1L);
    }

    @Test
    void wrongGroupNamingTheNewOwnerIsFollowedAtOnceWithoutAMapRefresh() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        client.put("moving", "before");
        TestGroup from = cluster.groupOfKey("moving");
        TestGroup to = cluster.group(from.id() == 1 ? 2 : 1);
        int slot = Slots.of("moving".getBytes(StandardCharsets.UTF_8));
        cluster.moveSlotAheadOfTheMap(slot, from.id(), to.id(), 1);
        int mapCallsBefore = cluster.metas().get(0).mapCalls();

        client.put("moving", "after");

        assertThat(to.data().get("moving".getBytes(StandardCharsets.UTF_8))).asString().isEqualTo("after");
        assertThat(cluster.metas().get(0).mapCalls()).as("no map fetched").isEqualTo(mapCallsBefore);
        assertThat(cluster.server(to.leaderId()).lastHeader.getSlotEpochsMap()).containsEntry(slot, 1L);
        // Later requests for the slot go straight to the new owner.
        assertThat(client.get("moving")).contains("after");
        assertThat(cluster.server(to.leaderId()).lastHeader.getGroupId()).isEqualTo(to.id());
    }

    @Test
    void retriesTransientErrorsWithinTheDeadline() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        TestGroup group = cluster.group(1);
        group.injectFaults(ErrorCode.SLOT_MIGRATING, 2);
        group.injectFaults(ErrorCode.SERVER_BUSY, 1);
        group.injectFaults(ErrorCode.UNAVAILABLE, 1);
        group.injectFaults(ErrorCode.TIMEOUT, 1);
        client.put("k", "v");
        assertThat(client.get("k")).contains("v");
        assertThat(group.takeFault()).isNull();
    }

    @Test
    void aWriteWhoseCallFailedWithAnUnknownOutcomeIsRetriedAndAppliesOnce() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        TestGroup group = cluster.group(1);
        group.failCallsAfterApply(1);
        client.put("k", "v");
        assertThat(group.applies()).isEqualTo(1);
        assertThat(group.sessions()).extracting(WriteSession::getSequence).containsOnly(1L).hasSize(2);
        assertThat(client.get("k")).contains("v");
    }

    @Test
    void aRetriedWriteKeepsItsSequenceAndAppliesOnce() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        TestGroup group = cluster.group(1);
        client.put("first", "1");
        group.loseReplies(2);

        client.put("k", "v");

        List<WriteSession> sessions = group.sessions();
        assertThat(sessions).hasSize(4);
        WriteSession first = sessions.get(0);
        assertThat(first.getClientId()).isEqualTo(client.clientId());
        assertThat(first.getSequence()).isEqualTo(1);
        List<WriteSession> retried = sessions.subList(1, 4);
        assertThat(retried).extracting(WriteSession::getSequence).containsOnly(2L);
        assertThat(retried).extracting(WriteSession::getFirstIncomplete).containsOnly(2L);
        assertThat(group.applies()).isEqualTo(2);
        assertThat(client.get("k")).contains("v");
    }

    @Test
    void aWriteRefusedForAnExpiredSessionOnItsOnlyAttemptIsSentAgainUnderANewClientId() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        TestGroup group = cluster.group(1);
        long oldId = client.clientId();
        long horizon = ClientIds.stampOf(oldId) + 100;
        group.injectFault(KvError.newBuilder().setCode(ErrorCode.SESSION_EXPIRED).setMessage("evicted")
                .setSessionHorizon(horizon).build());

        client.put("k", "v");

        assertThat(client.clientId()).isNotEqualTo(oldId);
        assertThat(ClientIds.stampOf(client.clientId())).isGreaterThan(horizon);
        // The refused attempt was not applied; the write applied once, under the new id.
        assertThat(group.applies()).isEqualTo(1);
        assertThat(group.sessions()).extracting(WriteSession::getClientId).containsExactly(client.clientId());
        assertThat(client.get("k")).contains("v");
    }

    @Test
    void aRetryRefusedForAnExpiredSessionFailsSayingTheOutcomeIsUnknown() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        TestGroup group = cluster.group(1);
        // The first attempt times out (it may have applied), then the retry finds the session gone.
        group.injectFaults(ErrorCode.TIMEOUT, 1);
        group.injectFault(KvError.newBuilder().setCode(ErrorCode.SESSION_EXPIRED).setMessage("evicted")
                .setSessionHorizon(ClientIds.stampOf(client.clientId())).build());

        assertThatThrownBy(() -> client.put("k", "v")).isInstanceOfSatisfying(SessionExpiredException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.SESSION_EXPIRED);
            assertThat(e.neverApplied()).isFalse();
            assertThat(e.getMessage()).contains("may or may not have applied");
        });
        assertThat(group.applies()).isZero();
    }

    @Test
    void invalidArgumentFailsAtOnceWithTheMessage() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(30));
        assertThatThrownBy(() -> client.put(new byte[Limits.MAX_KEY_BYTES + 1], new byte[1]))
                .isInstanceOf(KvException.class)
                .hasMessage("key is 8193 bytes, over the limit of 8192 bytes")
                .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(cluster.group(1).sessions()).isEmpty();

        cluster.group(1).injectFaults(ErrorCode.INVALID_ARGUMENT, 1);
        assertThatThrownBy(() -> client.put("k", "v"))
                .isInstanceOf(KvException.class)
                .isNotInstanceOf(KvTimeoutException.class)
                .hasMessage("injected INVALID_ARGUMENT");
    }

    @Test
    void failsWithTimeoutWhenNoLeaderAppearsBeforeTheDeadline() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        cluster.publishLeaders(false);
        cluster.group(1).setLeader(0);
        connect(Duration.ofMillis(500));
        assertThatThrownBy(() -> client.get("k"))
                .isInstanceOf(KvTimeoutException.class)
                .hasMessageContaining("did not complete within 500 ms")
                .hasMessageContaining("NOT_LEADER");
    }

    @Test
    void movesToAnotherVoterWhenTheHintedLeaderIsDown() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        client.put("k", "v1");
        long oldLeader = cluster.group(1).leaderId();
        cluster.server(oldLeader).close();
        cluster.group(1).setLeader(cluster.group(1).members().get(1));
        cluster.publishLeaders(false);
        client.put("k", "v2");
        assertThat(client.get("k")).contains("v2");
    }

    @Test
    void aFrozenLeaderCostsOneAttemptNotOneOnEveryRequest() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        client = KvClient.builder().security(ClientSecurity.insecure()).metaEndpoints(cluster.metaEndpoints()).requestDeadline(Duration.ofSeconds(10))
                .attemptTimeout(Duration.ofMillis(300)).build();
        client.put("k", "v0");
        // The leader is the group's first voter; it freezes and the second one takes over, while
        // the map's hints (published no more) still name the frozen one.
        long frozen = cluster.group(1).leaderId();
        assertThat(frozen).isEqualTo(cluster.group(1).members().get(0));
        cluster.publishLeaders(false);
        cluster.server(frozen).frozen = true;
        cluster.group(1).setLeader(cluster.group(1).members().get(1));
        int before = cluster.server(frozen).requests.get();
        for (int i = 1; i <= 5; i++) {
            client.put("k", "v" + i);
        }
        assertThat(client.get("k")).contains("v5");
        // The first put tries the hinted (frozen) leader once, then the next voter, not the first
        // voter again; the server that answered is remembered, so the other requests skip it.
        assertThat(cluster.server(frozen).requests.get() - before).isEqualTo(1);
    }

    @Test
    void aLeaderRestartedOnItsAddressServesAgain() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(10));
        client.put("k", "v1");
        long leader = cluster.group(1).leaderId();
        int port = Integer.parseInt(cluster.server(leader).address().split(":")[1]);
        cluster.server(leader).close();
        // Every replica names the dead leader: the client keeps failing to connect to it.
        CompletableFuture<Void> put = client.putAsync("k", "v2");
        Await.until(() -> "the put is retrying", () -> !put.isDone());
        cluster.restartServer(leader, port);
        put.get();
        assertThat(client.get("k")).contains("v2");
    }

    @Test
    void findsTheMetaLeaderAmongTheEndpoints() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 3);
        cluster.metas().get(0).setLeader(false);
        cluster.metas().get(2).setLeader(true);
        connect(Duration.ofSeconds(10));
        client.put("k", "v");
        assertThat(client.get("k")).contains("v");
        assertThat(cluster.metas().get(2).mapCalls()).isPositive();
    }

    @Test
    void theClientsAdminSharesItsMetaServers() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        MetaAdmin admin = client.admin();
        assertThat(admin.getClusterMap().getGroupsCount()).isEqualTo(2);
        admin.close();
        // Closing the shared admin leaves the client's connections alone.
        assertThat(client.admin().clusterStatus().getMap().getConfigVersion()).isEqualTo(cluster.version());
        client.put("k", "v");
        assertThat(client.scan("k", "")).toIterable().extracting(p -> new String(p.getKey(), StandardCharsets.UTF_8))
                .containsExactly("k");
    }

    @Test
    void unreachableMetaServersEndInATimeoutThatSaysSo() {
        client = KvClient.builder().security(ClientSecurity.insecure()).metaEndpoints("127.0.0.1:1,127.0.0.1:2").requestDeadline(Duration.ofMillis(300))
                .build();
        assertThatThrownBy(() -> client.get("k"))
                .isInstanceOf(KvTimeoutException.class)
                .hasMessageContaining("cannot reach the meta-servers at 127.0.0.1:1,127.0.0.1:2")
                .cause().isInstanceOf(MetaException.class);
    }

    @Test
    void scanMergesAllGroupsInKeyOrderPageByPage() throws Exception {
        cluster = TestCluster.start(3, 3, 3, 1);
        connect(Duration.ofSeconds(10));
        TreeMap<String, String> expected = new TreeMap<>();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String key = String.format("s%03d", i);
            expected.put(key, "v" + i);
            writes.add(client.putAsync(key, "v" + i));
        }
        CompletableFuture.allOf(writes.toArray(new CompletableFuture[0])).get();
        assertThat(cluster.group(1).data()).isNotEmpty();
        assertThat(cluster.group(2).data()).isNotEmpty();
        assertThat(cluster.group(3).data()).isNotEmpty();

        List<KvPair> all = client.scanAll(ScanOptions.all().withPageSize(7));
        assertThat(all).extracting(KvPair::keyUtf8).containsExactlyElementsOf(expected.keySet());
        assertThat(all).extracting(KvPair::valueUtf8).containsExactlyElementsOf(expected.values());
        assertThat(cluster.group(1).scanPages()).isGreaterThan(1);

        List<KvPair> range = client.scanAll(ScanOptions.range(bytes("s010"), bytes("s020")).withPageSize(3));
        assertThat(range).extracting(KvPair::keyUtf8)
                .containsExactlyElementsOf(expected.subMap("s010", "s020").keySet());

        List<KvPair> limited = client.scanAll(ScanOptions.all().withStart("s100").withLimit(5));
        assertThat(limited).extracting(KvPair::keyUtf8).containsExactly("s100", "s101", "s102", "s103", "s104");
    }

    @Test
    void asyncOperationsRunConcurrently() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            puts.add(client.putAsync("a" + i, "v" + i));
        }
        CompletableFuture.allOf(puts.toArray(new CompletableFuture[0])).get();
        assertThat(client.getAsync("a7").get()).hasValueSatisfying(v -> assertThat(v).asString().isEqualTo("v7"));
        assertThat(client.deleteAsync("a7").get()).isTrue();
        assertThat(client.getAsync("a7").get()).isEmpty();
        CompletableFuture<Void> bad = client.putAsync(new byte[0], new byte[0]);
        assertThat(bad).isCompletedExceptionally();
    }

    private int requestsToServers(int servers) {
        int n = 0;
        for (long id = 1; id <= servers; id++) {
            n += cluster.server(id).requests.get();
        }
        return n;
    }

    @Test
    void manyWritesInFlightGoInFewRequestsAndEachKeepsItsOwnResult() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        client.put("warm", "the map is cached from here on");
        int before = requestsToServers(3);

        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            puts.add(client.putAsync("w" + i, "v" + i));
        }
        CompletableFuture.allOf(puts.toArray(new CompletableFuture[0])).get();
        // Every other key was written: their deletes find them, the others' do not.
        List<CompletableFuture<Boolean>> deletes = new ArrayList<>();
        for (int i = 0; i < 600; i += 2) {
            deletes.add(client.deleteAsync("w" + i));
        }
        CompletableFuture.allOf(deletes.toArray(new CompletableFuture[0])).get();

        for (int i = 0; i < 300; i++) {
            assertThat(deletes.get(i).get()).as("delete of w%d", 2 * i).isEqualTo(2 * i < 300);
        }
        for (int i = 1; i < 300; i += 2) {
            assertThat(cluster.groupOfKey("w" + i).data()).containsKey(("w" + i).getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < 300; i += 2) {
            assertThat(cluster.groupOfKey("w" + i).data()).doesNotContainKey(("w" + i).getBytes(StandardCharsets.UTF_8));
        }
        // One write per group goes alone; the rest wait for it and go in batches.
        assertThat(requestsToServers(3) - before).as("requests for 600 writes").isLessThanOrEqualTo(60);

        int beforeReads = requestsToServers(3);
        List<CompletableFuture<java.util.Optional<byte[]>>> gets = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            gets.add(client.getAsync("w" + i));
        }
        CompletableFuture.allOf(gets.toArray(new CompletableFuture[0])).get();
        for (int i = 0; i < 300; i++) {
            if (i % 2 == 0) {
                assertThat(gets.get(i).get()).as("w%d", i).isEmpty();
            } else {
                byte[] expected = ("v" + i).getBytes(StandardCharsets.UTF_8);
                assertThat(gets.get(i).get()).as("w%d", i).hasValueSatisfying(v -> assertThat(v).isEqualTo(expected));
            }
        }
        assertThat(requestsToServers(3) - beforeReads).as("requests for 300 reads").isLessThanOrEqualTo(30);
    }

    @Test
    void readsAndWritesInFlightTogetherShareBatchesAndGetsLeftUnreadAreReadAgainAlone() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        for (int i = 0; i < 150; i++) {
            client.put("m" + i, "old" + i);
        }
        for (boolean unread : new boolean[] {false, true}) {
            for (long id = 1; id <= 3; id++) {
                cluster.server(id).leaveMixedGetsUnread.set(unread);
            }
            int before = requestsToServers(3);
            int mixedBefore = mixedBatches();
            List<CompletableFuture<java.util.Optional<byte[]>>> gets = new ArrayList<>();
            List<CompletableFuture<Void>> puts = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                gets.add(client.getAsync("m" + i));
                puts.add(client.putAsync("n" + i, "v" + i));
            }
            CompletableFuture.allOf(puts.toArray(new CompletableFuture[0])).get();
            for (int i = 0; i < 150; i++) {
                byte[] expected = ("old" + i).getBytes(StandardCharsets.UTF_8);
                assertThat(gets.get(i).get()).as("m%d", i).hasValueSatisfying(v -> assertThat(v).isEqualTo(expected));
                assertThat(cluster.groupOfKey("n" + i).data()).containsKey(("n" + i).getBytes(StandardCharsets.UTF_8));
            }
            assertThat(mixedBatches() - mixedBefore).as("batches with gets and puts").isPositive();
            int requests = requestsToServers(3) - before;
            if (unread) {
                // Every get that went in a batch with puts came back unread and was sent alone.
                assertThat(requests).as("requests for 300 operations, gets read again").isGreaterThan(100);
            } else {
                assertThat(requests).as("requests for 300 operations").isLessThanOrEqualTo(30);
            }
        }
    }

    private int mixedBatches() {
        int n = 0;
        for (long id = 1; id <= 3; id++) {
            n += cluster.server(id).mixedBatchRequests.get();
        }
        return n;
    }

    @Test
    void aGatheredBatchWhoseSlotsMovedApartIsSentAgainWriteByWrite() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        client.put("warm", "x");
        List<String> keys = new ArrayList<>();
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        for (int i = 0; keys.size() < 4; i++) {
            String key = "s" + i;
            if (cluster.groupOfKey(key).id() == 1 && slots.add(Slots.of(key.getBytes(StandardCharsets.UTF_8)))) {
                keys.add(key);
            }
        }
        // The client's map does not know of this move yet.
        cluster.moveSlot(Slots.of(keys.get(2).getBytes(StandardCharsets.UTF_8)), 1, 2);
        // The first write is refused twice and retried after a backoff each time: the others wait
        // meanwhile and then go together, to group 1, which no longer owns one of their slots.
        cluster.group(1).injectFaults(ErrorCode.SERVER_BUSY, 2);

        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (String key : keys) {
            puts.add(client.putAsync(key, "v-" + key));
        }
        CompletableFuture.allOf(puts.toArray(new CompletableFuture[0])).get();

        int batches = 0;
        for (long id = 1; id <= 3; id++) {
            batches += cluster.server(id).batchRequests.get();
        }
        assertThat(batches).as("the gathered batch, refused once").isEqualTo(1);
        for (String key : keys) {
            TestGroup owner = cluster.group(key.equals(keys.get(2)) ? 2 : 1);
            assertThat(owner.data().get(key.getBytes(StandardCharsets.UTF_8))).as(key).asString()
                    .isEqualTo("v-" + key);
        }
    }

    @Test
    void withBatchingOffEveryWriteIsARequestOfItsOwn() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        client = KvClient.builder().security(ClientSecurity.insecure()).metaEndpoints(cluster.metaEndpoints())
                .requestDeadline(Duration.ofSeconds(10)).requestsInFlightPerGroup(0).build();
        client.put("warm", "x");
        int before = requestsToServers(3);
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            puts.add(client.putAsync("n" + i, "v" + i));
        }
        CompletableFuture.allOf(puts.toArray(new CompletableFuture[0])).get();
        assertThat(requestsToServers(3) - before).isGreaterThanOrEqualTo(50);
        assertThatThrownBy(() -> KvClient.builder().requestsInFlightPerGroup(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 or more");
    }

    @Test
    void batchesRunInOneGroupAndRefuseSeveral() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        connect(Duration.ofSeconds(10));
        // Keys of one group, as the map assigns them.
        List<String> sameGroup = new ArrayList<>();
        String other = null;
        for (int i = 0; sameGroup.size() < 3 || other == null; i++) {
            String key = "b" + i;
            if (cluster.groupOfKey(key).id() == 1) {
                if (sameGroup.size() < 3) {
                    sameGroup.add(key);
                }
            } else if (other == null) {
                other = key;
            }
        }
        List<BatchResult> written = client.batch(List.of(BatchOp.put(sameGroup.get(0), "x"),
                BatchOp.put(sameGroup.get(1), "y"), BatchOp.delete(sameGroup.get(2))));
        assertThat(written).extracting(BatchResult::found).containsExactly(true, true, false);
        List<BatchResult> read = client.batch(List.of(BatchOp.get(sameGroup.get(0)), BatchOp.get(sameGroup.get(2))));
        assertThat(read.get(0).valueIfFound()).hasValueSatisfying(v -> assertThat(v).asString().isEqualTo("x"));
        assertThat(read.get(1).found()).isFalse();

        String otherKey = other;
        assertThatThrownBy(() -> client.batch(List.of(BatchOp.get(sameGroup.get(0)), BatchOp.get(otherKey))))
                .isInstanceOf(KvException.class).hasMessageContaining("a batch must stay within one group");
        assertThatThrownBy(() -> client.batch(List.of(BatchOp.get("a"), BatchOp.put("a", "b"))))
                .isInstanceOf(KvException.class).hasMessage("batch mixes reads and writes; send them separately");
        assertThatThrownBy(() -> client.batch(List.of())).hasMessage("batch is empty");
    }

    @Test
    void closingFailsRequestsStillRetrying() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        connect(Duration.ofSeconds(30));
        client.put("k", "v");
        cluster.group(1).injectFaults(ErrorCode.SERVER_BUSY, 1_000_000);
        CompletableFuture<Void> retrying = client.putAsync("k", "w");
        Await.until(() -> "the put got SERVER_BUSY at least once", () -> cluster.group(1).faultsServed() > 0);
        assertThat(retrying).isNotDone();
        client.close();
        assertThatThrownBy(retrying::join).hasCauseInstanceOf(KvException.class)
                .hasMessageContaining("the client is closed");
        assertThatThrownBy(() -> client.get("k")).isInstanceOf(IllegalStateException.class);
        client = null;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

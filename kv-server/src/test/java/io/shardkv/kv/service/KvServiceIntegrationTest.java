package io.shardkv.kv.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardkv.common.Limits;
import io.shardkv.common.Slots;
import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ClientOperationRequest;
import io.shardkv.kv.proto.ClientOperationResponse;
import io.shardkv.kv.proto.DeleteRequest;
import io.shardkv.kv.proto.DeleteResponse;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GetRequest;
import io.shardkv.kv.proto.GetResponse;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.KvPair;
import io.shardkv.kv.proto.OpResult;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.proto.PutRequest;
import io.shardkv.kv.proto.PutResponse;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.kv.proto.ScanRequest;
import io.shardkv.kv.proto.ScanResponse;
import io.shardkv.kv.proto.WriteSession;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.raft.testing.Await;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * KvService and KvAdmin over real gRPC on three in-process kv-servers hosting group 1, which
 * owns every slot but the last one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KvServiceIntegrationTest {
    private static final long G = 1;
    private static final int UNOWNED_SLOT = Slots.COUNT - 1;

    private KvTestCluster cluster;
    private final AtomicLong sequence = new AtomicLong();

    @BeforeAll
    void startCluster() {
        cluster = new KvTestCluster();
        for (long id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        cluster.createGroup(G, List.of(1L, 2L, 3L));
        List<Integer> slots = IntStream.range(0, UNOWNED_SLOT).boxed().toList();
        KvTestCluster.untilOk("AssignSlots", () -> cluster.admin(cluster.awaitLeader(G))
                .assignSlots(AssignSlotsRequest.newBuilder().setGroupId(G).addAllSlots(slots)
                        .setConfigVersion(cluster.mapVersion()).build()), AdminResponse::getError);
    }

    @AfterAll
    void stopCluster() {
        cluster.close();
    }

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static RequestHeader header() {
        return RequestHeader.newBuilder().setGroupId(G).build();
    }

    private WriteSession session() {
        long seq = sequence.incrementAndGet();
        return WriteSession.newBuilder().setClientId(77).setSequence(seq).setFirstIncomplete(seq).build();
    }

    private long leader() {
        return cluster.awaitLeader(G);
    }

    private PutResponse put(String key, String value) {
        PutRequest r = PutRequest.newBuilder().setHeader(header()).setKey(b(key)).setValue(b(value))
                .setSession(session()).build();
        return KvTestCluster.untilOk("put " + key, () -> cluster.kv(leader()).put(r), PutResponse::getError);
    }

    private GetResponse get(long server, String key, ReadConsistency c) {
        return cluster.kv(server).get(GetRequest.newBuilder().setHeader(header()).setKey(b(key)).setConsistency(c)
                .build());
    }

    private static String keyInSlot(String prefix, int slot) {
        for (int i = 0; ; i++) {
            String k = prefix + i;
            if (Slots.of(k.getBytes(StandardCharsets.UTF_8)) == slot) {
                return k;
            }
        }
    }

    private static String keyNotInSlot(String prefix, int slot) {
        for (int i = 0; ; i++) {
            String k = prefix + i;
            if (Slots.of(k.getBytes(StandardCharsets.UTF_8)) != slot) {
                return k;
            }
        }
    }

    @Test
    void putGetDeleteThroughTheLeader() {
        put("alpha", "1");
        long leader = leader();
        GetResponse got = get(leader, "alpha", ReadConsistency.LINEARIZABLE);
        assertThat(got.getError().getCode()).isEqualTo(ErrorCode.OK);
        assertThat(got.getFound()).isTrue();
        assertThat(got.getValue().toStringUtf8()).isEqualTo("1");
        assertThat(get(leader, "alpha", ReadConsistency.LEASE).getValue().toStringUtf8()).isEqualTo("1");
        assertThat(get(leader, "missing", ReadConsistency.LINEARIZABLE).getFound()).isFalse();

        DeleteRequest del = DeleteRequest.newBuilder().setHeader(header()).setKey(b("alpha")).setSession(session())
                .build();
        DeleteResponse deleted = KvTestCluster.untilOk("delete", () -> cluster.kv(leader()).delete(del),
                DeleteResponse::getError);
        assertThat(deleted.getExisted()).isTrue();
        // The same session sequence again: the first reply, not a second delete.
        assertThat(cluster.kv(leader()).delete(del).getExisted()).isTrue();
        assertThat(get(leader(), "alpha", ReadConsistency.LINEARIZABLE).getFound()).isFalse();
    }

    @Test
    void staleReadsOnAFollowerCatchUp() {
        put("stale-key", "v");
        long follower = leader() % 3 + 1;
        Await.until(KvTestCluster.DEADLINE, () -> "follower " + follower + " to apply the put",
                () -> get(follower, "stale-key", ReadConsistency.STALE).getFound());
    }

    @Test
    void aFollowerAnswersNotLeaderWithTheLeadersAddress() {
        put("hint", "x");
        long leader = leader();
        long follower = leader % 3 + 1;
        PutResponse r = cluster.kv(follower).put(PutRequest.newBuilder().setHeader(header()).setKey(b("hint"))
                .setValue(b("y")).setSession(session()).build());
        assertThat(r.getError().getCode()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(r.getError().getLeaderId()).isEqualTo(leader);
        assertThat(r.getError().getLeaderAddress()).isEqualTo(cluster.server(leader).address());
        assertThat(get(follower, "hint", ReadConsistency.LINEARIZABLE).getError().getCode())
                .isEqualTo(ErrorCode.NOT_LEADER);
    }

    @Test
    void unownedSlotsAndUnhostedGroupsAreWrongGroup() {
        String key = keyInSlot("unowned-", UNOWNED_SLOT);
        PutResponse r = cluster.kv(leader()).put(PutRequest.newBuilder().setHeader(header()).setKey(b(key))
                .setValue(b("v")).setSession(session()).build());
        assertThat(r.getError().getCode()).isEqualTo(ErrorCode.WRONG_GROUP);
        assertThat(r.getError().getConfigVersion()).isEqualTo(cluster.mapVersion());
        assertThat(get(leader(), key, ReadConsistency.STALE).getError().getCode()).isEqualTo(ErrorCode.WRONG_GROUP);

        GetResponse other = cluster.kv(leader()).get(GetRequest.newBuilder()
                .setHeader(RequestHeader.newBuilder().setGroupId(99)).setKey(b("k")).build());
        assertThat(other.getError().getCode()).isEqualTo(ErrorCode.WRONG_GROUP);

        ClientOperationResponse batch = cluster.kv(leader()).processRwOperation(ClientOperationRequest.newBuilder()
                .setHeader(header()).setSession(session())
                .addOps(KvOp.newBuilder().setOp(OpType.PUT).setKey(b(keyNotInSlot("ok-", UNOWNED_SLOT))).setValue(b("1")))
                .addOps(KvOp.newBuilder().setOp(OpType.PUT).setKey(b(key)).setValue(b("2"))).build());
        assertThat(batch.getError().getCode()).isEqualTo(ErrorCode.WRONG_GROUP);
    }

    @Test
    void scanPagesThroughTheGroupInKeyOrder() {
        List<String> keys = new ArrayList<>();
        ClientOperationRequest.Builder batch = ClientOperationRequest.newBuilder().setHeader(header())
                .setSession(session());
        for (int i = 0; i < 60; i++) {
            String k = String.format("scan/%03d", i);
            if (Slots.of(k.getBytes(StandardCharsets.UTF_8)) == UNOWNED_SLOT) {
                continue;
            }
            keys.add(k);
            batch.addOps(KvOp.newBuilder().setOp(OpType.PUT).setKey(b(k)).setValue(b("v" + i)));
        }
        ClientOperationRequest request = batch.build();
        KvTestCluster.untilOk("batch put", () -> cluster.kv(leader()).processRwOperation(request),
                ClientOperationResponse::getError);

        List<String> seen = new ArrayList<>();
        ByteString cursor = ByteString.EMPTY;
        int pages = 0;
        do {
            ScanResponse page = cluster.kv(leader()).scan(ScanRequest.newBuilder().setHeader(header())
                    .setStart(b("scan/")).setEnd(b("scan0")).setLimit(25).setCursor(cursor).build());
            assertThat(page.getError().getCode()).isEqualTo(ErrorCode.OK);
            page.getPairsList().stream().map(KvPair::getKey).map(ByteString::toStringUtf8).forEach(seen::add);
            cursor = page.getNextCursor();
            pages++;
            if (!page.getMore()) {
                break;
            }
        } while (true);
        assertThat(seen).containsExactlyElementsOf(keys);
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void batchesOfWritesAndBatchesOfReads() {
        ClientOperationRequest writes = ClientOperationRequest.newBuilder().setHeader(header()).setSession(session())
                .addOps(KvOp.newBuilder().setOp(OpType.PUT).setKey(b("b1")).setValue(b("1")))
                .addOps(KvOp.newBuilder().setOp(OpType.PUT).setKey(b("b2")).setValue(b("2")))
                .addOps(KvOp.newBuilder().setOp(OpType.DEL).setKey(b("b1"))).build();
        ClientOperationResponse w = KvTestCluster.untilOk("batch write",
                () -> cluster.kv(leader()).processRwOperation(writes), ClientOperationResponse::getError);
        assertThat(w.getResultsList()).extracting(r -> r.getFound()).containsExactly(false, false, true);

        ClientOperationResponse reads = cluster.kv(leader()).processRwOperation(ClientOperationRequest.newBuilder()
                .setHeader(header())
                .addOps(KvOp.newBuilder().setOp(OpType.GET).setKey(b("b1")))
                .addOps(KvOp.newBuilder().setOp(OpType.GET).setKey(b("b2"))).build());
        assertThat(reads.getError().getCode()).isEqualTo(ErrorCode.OK);
        assertThat(reads.getResults(0).getFound()).isFalse();
        assertThat(reads.getResults(1).getValue().toStringUtf8()).isEqualTo("2");
    }

    private static KvOp op(OpType type, String key, String value) {
        return KvOp.newBuilder().setOp(type).setKey(b(key)).setValue(b(value)).build();
    }

    @Test
    void theGetsOfABatchWithWritesReadAfterItsWritesAndARetryAnswersTheSame() {
        put("m1", "old");
        ClientOperationRequest mixed = ClientOperationRequest.newBuilder().setHeader(header()).setSession(session())
                .addOps(op(OpType.GET, "m1", "")).addOps(op(OpType.PUT, "m1", "new"))
                .addOps(op(OpType.GET, "m2", "")).addOps(op(OpType.DEL, "m3", ""))
                .addOps(op(OpType.PUT, "m2", "x")).addOps(op(OpType.DEL, "m1", "")).addOps(op(OpType.GET, "m1", ""))
                .build();
        for (int attempt = 0; attempt < 2; attempt++) {
            ClientOperationResponse r = KvTestCluster.untilOk("mixed batch", () -> cluster.kv(leader())
                    .processRwOperation(mixed), ClientOperationResponse::getError);
            assertThat(r.getResultsList()).extracting(OpResult::getUnread).containsOnly(false);
            // Both GETs of m1 see the batch's delete of it; the GET of m2 sees its put.
            assertThat(r.getResults(0).getFound()).isFalse();
            assertThat(r.getResults(2).getValue().toStringUtf8()).isEqualTo("x");
            assertThat(r.getResults(3).getFound()).as("m3 did not exist").isFalse();
            assertThat(r.getResults(5).getFound()).as("m1 existed when the batch deleted it").isTrue();
            assertThat(r.getResults(6).getFound()).isFalse();
        }
        assertThat(get(leader(), "m2", ReadConsistency.LINEARIZABLE).getValue().toStringUtf8()).isEqualTo("x");
    }

    @Test
    void getsOfABatchWithWritesOverTheResponseLimitComeBackUnreadWhileTheWritesApply() {
        ByteString fourMiB = ByteString.copyFrom(new byte[Limits.MAX_VALUE_BYTES]);
        for (int i = 0; i < 5; i++) {
            PutRequest r = PutRequest.newBuilder().setHeader(header()).setKey(b("big" + i)).setValue(fourMiB)
                    .setSession(session()).build();
            KvTestCluster.untilOk("put big" + i, () -> cluster.kv(leader()).put(r), PutResponse::getError);
        }
        ClientOperationRequest.Builder mixed = ClientOperationRequest.newBuilder().setHeader(header())
                .setSession(session()).addOps(op(OpType.PUT, "small", "1"));
        for (int i = 0; i < 5; i++) {
            mixed.addOps(op(OpType.GET, "big" + i, ""));
        }
        ClientOperationResponse r = KvTestCluster.untilOk("mixed batch", () -> cluster.kv(leader())
                .processRwOperation(mixed.build()), ClientOperationResponse::getError);
        // 16 MiB of answer: three values and their keys fit, the fourth would not.
        assertThat(r.getResultsList()).extracting(OpResult::getUnread).containsExactly(false, false, false, false,
                true, true);
        double unread = 0;
        for (long id = 1; id <= 3; id++) {
            unread += cluster.registry(id).counter("shardkv.kv.batch.gets.unread").count();
        }
        assertThat(unread).as("unread GETs counted by the servers").isEqualTo(2.0);
        assertThat(r.getResults(1).getValue().size()).isEqualTo(Limits.MAX_VALUE_BYTES);
        assertThat(get(leader(), "small", ReadConsistency.LINEARIZABLE).getValue().toStringUtf8()).isEqualTo("1");
    }

    @Test
    void everyLimitIsInvalidArgument() {
        long l = leader();
        ByteString bigKey = ByteString.copyFrom(new byte[Limits.MAX_KEY_BYTES + 1]);
        ByteString bigValue = ByteString.copyFrom(new byte[Limits.MAX_VALUE_BYTES + 1]);
        assertInvalid(cluster.kv(l).put(PutRequest.newBuilder().setHeader(header()).setKey(ByteString.EMPTY)
                .setValue(b("v")).build()).getError(), "key is empty");
        assertInvalid(cluster.kv(l).put(PutRequest.newBuilder().setHeader(header()).setKey(bigKey)
                .setValue(b("v")).build()).getError(), "over the limit of 8192");
        assertInvalid(cluster.kv(l).put(PutRequest.newBuilder().setHeader(header()).setKey(b("k"))
                .setValue(bigValue).build()).getError(), "over the limit of 4194304");
        assertInvalid(cluster.kv(l).get(GetRequest.newBuilder().setHeader(header()).build()).getError(),
                "key is empty");
        assertInvalid(cluster.kv(l).delete(DeleteRequest.newBuilder().setHeader(header()).setKey(bigKey).build())
                .getError(), "over the limit of 8192");
        assertInvalid(cluster.kv(l).put(PutRequest.newBuilder().setKey(b("k")).build()).getError(), "group_id");
        assertInvalid(cluster.kv(l).scan(ScanRequest.newBuilder().setHeader(header()).setStart(b("b"))
                .setEnd(b("a")).build()).getError(), "end must be greater");
        assertInvalid(cluster.kv(l).scan(ScanRequest.newBuilder().setHeader(header()).setStart(b("a"))
                .setEnd(b("a")).build()).getError(), "end must be greater");
        assertInvalid(cluster.kv(l).scan(ScanRequest.newBuilder().setHeader(header()).setLimit(10_001).build())
                .getError(), "limit");
        assertInvalid(cluster.kv(l).scan(ScanRequest.newBuilder().setHeader(header()).setLimit(0xFFFF_FFFF).build())
                .getError(), "limit 4294967295");
        assertInvalid(cluster.kv(l).scan(ScanRequest.newBuilder().setHeader(header()).setCursor(bigKey).build())
                .getError(), "at most 8192 bytes");
        assertInvalid(cluster.kv(l).processRwOperation(ClientOperationRequest.newBuilder().setHeader(header())
                .build()).getError(), "no operations");
        ClientOperationRequest.Builder huge = ClientOperationRequest.newBuilder().setHeader(header());
        ByteString fourMiB = ByteString.copyFrom(new byte[Limits.MAX_VALUE_BYTES]);
        for (int i = 0; i < 5; i++) {
            huge.addOps(KvOp.newBuilder().setOp(OpType.PUT).setKey(b("huge" + i)).setValue(fourMiB));
        }
        assertInvalid(cluster.kv(l).processRwOperation(huge.build()).getError(), "over the limit of 16777216");
    }

    private static void assertInvalid(KvError error, String messagePart) {
        assertThat(error.getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(error.getMessage()).contains(messagePart);
    }

    @Test
    void adminCallsAreIdempotentAndStatusShowsTheGroup() {
        long l = leader();
        AdminResponse again = cluster.admin(l).createReplica(CreateReplicaRequest.newBuilder().setGroupId(G)
                .addAllInitialVoters(List.of(1L, 2L, 3L)).build());
        assertThat(again.getError().getCode()).isEqualTo(ErrorCode.OK);
        assertThat(again.getDetail()).isEqualTo("already hosted");
        AdminResponse assigned = cluster.admin(l).assignSlots(AssignSlotsRequest.newBuilder().setGroupId(G)
                .addSlots(0).setConfigVersion(1).build());
        assertThat(assigned.getError().getCode()).isEqualTo(ErrorCode.OK);
        assertThat(cluster.admin(l).assignSlots(AssignSlotsRequest.newBuilder().setGroupId(G).addSlots(1024).build())
                .getError().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        GroupStatusResponse status = cluster.admin(l).groupStatus(GroupStatusRequest.newBuilder().setGroupId(G)
                .build());
        assertThat(status.getError().getCode()).isEqualTo(ErrorCode.OK);
        assertThat(status.getRole()).isEqualTo("LEADER");
        assertThat(status.getLeaderId()).isEqualTo(l);
        assertThat(status.getReplicasCount()).isEqualTo(3);
        assertThat(status.getOwnedSlotsCount()).isEqualTo(Slots.COUNT - 1);
        assertThat(cluster.admin(l).createReplica(CreateReplicaRequest.newBuilder().setGroupId(5)
                .addInitialVoters(l % 3 + 1).build()).getError().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
}

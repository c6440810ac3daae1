package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.proto.CoalescedHeartbeat;
import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchCodecTest {
    private final BatchCodec codec = new BatchCodec(1, 1 << 20);

    private static GroupMessage heartbeat(long group, long commit, long round) {
        return new GroupMessage(group, Message.builder(MessageType.HEARTBEAT).from(1).to(2).term(7).commit(commit)
                .index(round).build());
    }

    private static GroupMessage heartbeatResponse(long group, long round) {
        return new GroupMessage(group, Message.builder(MessageType.HEARTBEAT_RESPONSE).from(1).to(2).term(7)
                .index(round).build());
    }

    @Test
    void plainHeartbeatsAndAnswersTravelAsCompactEntries() throws Exception {
        List<GroupMessage> sent = new ArrayList<>();
        for (long g = 1; g <= 1000; g++) {
            sent.add(heartbeat(g, 100 + g, 40));
        }
        for (long g = 1001; g <= 1500; g++) {
            sent.add(heartbeatResponse(g, 41));
        }
        BatchCodec.Encoded encoded = codec.encode(2, sent);
        RaftMessageBatch wire = RaftMessageBatch.parseFrom(encoded.batch().toByteArray());

        assertThat(wire.getMessagesCount()).isZero();
        assertThat(wire.getHeartbeatsCount()).isEqualTo(1000);
        assertThat(wire.getHeartbeatResponsesCount()).isEqualTo(500);
        assertThat(wire.getHeartbeats(4)).isEqualTo(CoalescedHeartbeat.newBuilder().setGroupId(5).setTerm(7)
                .setCommit(105).setRound(40).setFrom(1).setTo(2).build());
        assertThat(encoded.coalescedHeartbeats()).isEqualTo(1500);
        assertThat(BatchCodec.decode(wire)).isEqualTo(sent);
        // A thousand coalesced heartbeats cost a few bytes each.
        assertThat(wire.getSerializedSize()).isLessThan(1500 * 20);
    }

    @Test
    void heartbeatsWithReadRequestsStayFullMessagesInOrder() throws Exception {
        GroupMessage append = new GroupMessage(3, Message.builder(MessageType.APPEND).from(1).to(2).term(7).index(4)
                .logTerm(6).commit(4).entries(List.of(Entry.normal(7, 5, new byte[] {1, 2}))).build());
        GroupMessage readHeartbeat = new GroupMessage(4, Message.builder(MessageType.HEARTBEAT).from(1).to(2).term(7)
                .commit(9).index(12).readRequestId(77).build());
        GroupMessage readAnswer = new GroupMessage(5, Message.builder(MessageType.HEARTBEAT_RESPONSE).from(1).to(2)
                .term(7).index(12).readRequestId(78).build());
        GroupMessage plain = heartbeat(6, 3, 12);
        List<GroupMessage> sent = List.of(append, readHeartbeat, plain, readAnswer);

        RaftMessageBatch wire = RaftMessageBatch.parseFrom(codec.encode(2, sent).batch().toByteArray());

        assertThat(wire.getMessagesCount()).isEqualTo(3);
        assertThat(wire.getHeartbeatsCount()).isEqualTo(1);
        // Full messages keep their order; coalesced heartbeats follow them.
        assertThat(BatchCodec.decode(wire)).containsExactly(append, readHeartbeat, readAnswer, plain);
    }

    @Test
    void aHelloIsAnEmptyBatchNamingBothEnds() {
        RaftMessageBatch hello = codec.hello(3);
        assertThat(BatchCodec.isHello(hello)).isTrue();
        assertThat(hello.getFromServer()).isEqualTo(1);
        assertThat(hello.getToServer()).isEqualTo(3);
        assertThat(BatchCodec.isHello(codec.encode(3, List.of(heartbeat(1, 1, 1))).batch())).isFalse();
    }

    @Test
    void aMessageLargerThanAFrameIsDroppedNotSent() {
        BatchCodec small = new BatchCodec(1, 100);
        GroupMessage big = new GroupMessage(3, Message.builder(MessageType.APPEND).from(1).to(2).term(7).index(4)
                .logTerm(6).entries(List.of(Entry.normal(7, 5, new byte[500]))).build());
        BatchCodec.Encoded encoded = small.encode(2, List.of(big, heartbeat(1, 1, 1)));
        assertThat(encoded.droppedTooLarge()).isEqualTo(1);
        assertThat(encoded.messages()).isEqualTo(1);
        assertThat(encoded.batch().getMessagesCount()).isZero();
    }

    @Test
    void malformedEntriesAreRefused() {
        RaftMessageBatch noGroup = RaftMessageBatch.newBuilder().setFromServer(1).setToServer(2)
                .addHeartbeats(CoalescedHeartbeat.newBuilder().setTerm(1).setFrom(1).setTo(2)).build();
        RaftMessageBatch answerWithCommit = RaftMessageBatch.newBuilder().setFromServer(1).setToServer(2)
                .addHeartbeatResponses(CoalescedHeartbeat.newBuilder().setGroupId(1).setTerm(1).setFrom(1).setTo(2)
                        .setCommit(5)).build();
        assertThatThrownBy(() -> BatchCodec.decode(noGroup)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lacks group");
        assertThatThrownBy(() -> BatchCodec.decode(answerWithCommit)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("commit");
    }
}

package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutboundQueueTest {

    private static GroupMessage append(long group, int payloadBytes) {
        List<Entry> entries = payloadBytes == 0 ? List.of() : List.of(Entry.normal(1, 1, new byte[payloadBytes]));
        return new GroupMessage(group, Message.builder(MessageType.APPEND).from(1).to(2).term(1).entries(entries)
                .build());
    }

    private static List<GroupMessage> appends(int from, int to) {
        List<GroupMessage> out = new ArrayList<>();
        for (int g = from; g < to; g++) {
            out.add(append(g, 0));
        }
        return out;
    }

    @Test
    void dropsTheOldestMessagesBeyondTheCountBound() {
        OutboundQueue q = new OutboundQueue(10, 1 << 20);
        assertThat(q.offerAll(appends(0, 8))).isZero();
        assertThat(q.offerAll(appends(8, 15))).isEqualTo(5);

        List<GroupMessage> kept = q.drain(Long.MAX_VALUE);
        assertThat(kept).extracting(GroupMessage::groupId).containsExactly(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L);
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.bytes()).isZero();
    }

    @Test
    void dropsTheOldestMessagesBeyondTheByteBound() {
        long each = OutboundQueue.sizeOf(append(0, 1000));
        OutboundQueue q = new OutboundQueue(1000, 3 * each);
        int dropped = q.offerAll(List.of(append(1, 1000), append(2, 1000), append(3, 1000), append(4, 1000)));

        assertThat(dropped).isEqualTo(1);
        assertThat(q.bytes()).isEqualTo(3 * each);
        assertThat(q.drain(Long.MAX_VALUE)).extracting(GroupMessage::groupId).containsExactly(2L, 3L, 4L);
    }

    @Test
    void aMessageLargerThanTheByteBoundStillGoesAlone() {
        OutboundQueue q = new OutboundQueue(1000, 100);
        assertThat(q.offerAll(List.of(append(1, 10), append(2, 5000)))).isEqualTo(1);
        assertThat(q.drain(10)).extracting(GroupMessage::groupId).containsExactly(2L);
    }

    @Test
    void drainTakesWholeMessagesUpToTheBudgetAndAtLeastOne() {
        long each = OutboundQueue.sizeOf(append(0, 1000));
        OutboundQueue q = new OutboundQueue(1000, 1 << 20);
        q.offerAll(List.of(append(1, 1000), append(2, 1000), append(3, 1000)));

        assertThat(q.drain(2 * each + 1)).extracting(GroupMessage::groupId).containsExactly(1L, 2L);
        assertThat(q.drain(1)).extracting(GroupMessage::groupId).containsExactly(3L);
        assertThat(q.drain(1)).isEmpty();
    }

    @Test
    void clearReportsWhatItDropped() {
        OutboundQueue q = new OutboundQueue(100, 1 << 20);
        q.offerAll(appends(0, 7));
        assertThat(q.clear()).isEqualTo(7);
        assertThat(q.size()).isZero();
        assertThat(q.bytes()).isZero();
    }
}

package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.testing.Await;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Who writes a peer's frames: the thread that asks for a flush writes it itself, one flush per
 * peer at a time; what is queued during a flush goes out in that flush's next frame; and a
 * caller hands the peer to the sender pool after a few frames in a row.
 */
class BatchSenderTest {
    private static final long PEER = 2;

    private final TransportMetrics metrics = new TransportMetrics(new SimpleMeterRegistry(), () -> 0);
    private final BatchSender sender = new BatchSender(1, 1, new BatchCodec(1, 1 << 20), 1 << 20, metrics);
    private final RecordingCall call = new RecordingCall(true);
    private final PeerConnection connection =
            new PeerConnection(1, PEER, new OutboundQueue(1_000, 1 << 20), sender, metrics);

    BatchSenderTest() {
        connection.attach(new FrameStream(call, "1 -> 2", (s, cause) -> connection.detach(s)));
    }

    @AfterEach
    void close() {
        sender.close();
    }

    private static GroupMessage append(long index) {
        return new GroupMessage(7, Message.builder(MessageType.APPEND).from(1).to(PEER).term(3).index(index - 1)
                .logTerm(3).commit(index - 1)
                .entries(List.of(Entry.normal(3, index, ("v" + index).getBytes(StandardCharsets.UTF_8)))).build());
    }

    @Test
    void theThreadThatQueuesWritesTheFrame() {
        connection.enqueue(List.of(append(1), append(2)));

        assertThat(call.frames).singleElement().satisfies(f -> {
            assertThat(f.thread()).isSameAs(Thread.currentThread());
            assertThat(f.batch().getMessagesCount()).isEqualTo(2);
        });
        assertThat(connection.queue().isEmpty()).isTrue();

        connection.enqueue(List.of(append(3)));
        assertThat(call.frames).as("the flush ended: the next request flushes again").hasSize(2);
    }

    @Test
    void whatIsQueuedDuringAFlushGoesOutInItsNextFrame() {
        // While the first frame is being written, another message is queued: its request finds
        // the flush under way and returns, and the flush writes it before it ends.
        call.onWrite = frame -> {
            if (call.frames.size() == 1) {
                connection.enqueue(List.of(append(2)));
                assertThat(call.frames).as("not written by the nested request").hasSize(1);
            }
        };
        connection.enqueue(List.of(append(1)));

        assertThat(call.frames).hasSize(2).allSatisfy(f -> assertThat(f.thread()).isSameAs(Thread.currentThread()));
        assertThat(call.frames.get(1).batch().getMessages(0).getAppendEntriesReq().getPrevLogIndex()).isEqualTo(1);
        assertThat(connection.queue().isEmpty()).isTrue();
    }

    @Test
    void aCallerHandsThePeerToThePoolAfterAFewFramesInARow() {
        int total = BatchSender.MAX_INLINE_FRAMES + 3;
        call.onWrite = frame -> {
            if (call.frames.size() < total) {
                connection.enqueue(List.of(append(call.frames.size() + 1)));
            }
        };
        connection.enqueue(List.of(append(1)));

        Await.until(() -> total + " frames written, got " + call.frames.size(), () -> call.frames.size() == total);
        for (int i = 0; i < total; i++) {
            Thread writer = call.frames.get(i).thread();
            if (i < BatchSender.MAX_INLINE_FRAMES) {
                assertThat(writer).as("frame " + i).isSameAs(Thread.currentThread());
            } else {
                assertThat(writer.getName()).as("frame " + i).startsWith("raft-batch-sender-1-");
            }
            assertThat(call.frames.get(i).batch().getMessages(0).getAppendEntriesReq().getPrevLogIndex())
                    .as("frame " + i).isEqualTo(i);
        }
        Await.until(() -> "the pool's flush ended", () -> {
            connection.enqueue(List.of(append(total + 1)));
            return call.frames.size() == total + 1;
        });
    }

    @Test
    void nothingIsWrittenWhileTheStreamIsNotReadyAndItsReadyCallbackFlushes() {
        call.ready = false;
        connection.enqueue(List.of(append(1)));
        assertThat(call.frames).isEmpty();
        assertThat(connection.queue().isEmpty()).isFalse();

        call.ready = true;
        connection.requestFlush(); // what the stream's ready callback does
        assertThat(call.frames).singleElement().satisfies(f -> assertThat(f.batch().getMessagesCount()).isEqualTo(1));
    }
}

package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.SnapshotChunk;
import io.shardkv.raft.proto.SnapshotChunkResp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiving end of SendSnapshot, driven chunk by chunk without a network. */
class SnapshotReceiverTest {
    private static final SnapshotMetadata METADATA = new SnapshotMetadata(120, 4, ConfState.ofVoters(1L, 2L, 3L));

    @TempDir
    Path dir;

    private final RecordingInbound inbound = new RecordingInbound();
    private final Answers answers = new Answers();
    private final AtomicInteger finished = new AtomicInteger();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private SnapshotReceiver receiver(long maxBytes) {
        return new SnapshotReceiver(2, dir, maxBytes, answers, inbound, new TransportMetrics(registry, () -> 0),
                finished::incrementAndGet);
    }

    private static List<SnapshotChunk> chunks(byte[] data, int chunkBytes) {
        List<SnapshotChunk> out = new ArrayList<>();
        int offset = 0;
        do {
            int length = Math.min(chunkBytes, data.length - offset);
            CRC32C crc = new CRC32C();
            crc.update(data, offset, length);
            out.add(SnapshotChunk.newBuilder().setGroupId(9).setTerm(5).setLeaderId(1)
                    .setMetadata(RaftMessageCodec.encodeSnapshotMetadata(METADATA)).setOffset(offset)
                    .setData(ByteString.copyFrom(data, offset, length)).setIsLastChunk(offset + length == data.length)
                    .setCrc32C((int) crc.getValue()).build());
            offset += length;
        } while (offset < data.length);
        return out;
    }

    private static byte[] randomBytes(int n) {
        byte[] data = new byte[n];
        new Random(42).nextBytes(data);
        return data;
    }

    private List<Path> filesLeft() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void aCompleteSnapshotIsDeliveredAsASnapshotMessageFromTheLeader() throws IOException {
        byte[] data = randomBytes(10_000);
        SnapshotReceiver r = receiver(1 << 20);
        chunks(data, 3_000).forEach(r::onNext);
        r.onCompleted();

        List<GroupMessage> got = inbound.messagesFrom(1);
        assertThat(got).hasSize(1);
        assertThat(got.get(0).groupId()).isEqualTo(9);
        Message m = got.get(0).message();
        assertThat(m.type()).isEqualTo(MessageType.SNAPSHOT);
        assertThat(m.from()).isEqualTo(1);
        assertThat(m.to()).isEqualTo(2);
        assertThat(m.term()).isEqualTo(5);
        assertThat(m.snapshot().metadata()).isEqualTo(METADATA);
        assertThat(m.snapshot().data()).isEqualTo(data);
        assertThat(answers.values).singleElement().satisfies(resp -> {
            assertThat(resp.getSuccess()).isTrue();
            assertThat(resp.getOffset()).isEqualTo(10_000);
        });
        assertThat(answers.completed).isTrue();
        assertThat(finished).hasValue(1);
        assertThat(filesLeft()).isEmpty();
        assertThat(registry.get("raft.transport.snapshot.chunks.received").counter().count()).isEqualTo(4);
    }

    @Test
    void anEmptySnapshotIsOneEmptyLastChunk() {
        SnapshotReceiver r = receiver(1 << 20);
        chunks(new byte[0], 1000).forEach(r::onNext);
        assertThat(inbound.messagesFrom(1)).singleElement()
                .satisfies(gm -> assertThat(gm.message().snapshot().data()).isEmpty());
    }

    @Test
    void aDamagedChunkFailsTheCallWithDataLoss() throws IOException {
        List<SnapshotChunk> chunks = chunks(randomBytes(10_000), 3_000);
        byte[] damaged = chunks.get(1).getData().toByteArray();
        damaged[17] ^= 0x40;
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onNext(chunks.get(1).toBuilder().setData(ByteString.copyFrom(damaged)).build());
        r.onNext(chunks.get(2));

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(answers.error.getDescription()).contains("checksum mismatch", "offset 3000");
        assertThat(inbound.deliveries()).isEmpty();
        assertThat(filesLeft()).isEmpty();
        assertThat(finished).hasValue(1);
    }

    @Test
    void aGapInOffsetsFailsTheCall() throws IOException {
        List<SnapshotChunk> chunks = chunks(randomBytes(10_000), 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onNext(chunks.get(2));

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(answers.error.getDescription()).contains("offset 6000 where offset 3000 was expected");
        assertThat(filesLeft()).isEmpty();
    }

    @Test
    void aChunkOfAnotherSnapshotFailsTheCall() {
        List<SnapshotChunk> chunks = chunks(randomBytes(10_000), 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onNext(chunks.get(1).toBuilder().setTerm(6).build());

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(answers.error.getDescription()).contains("belongs to another snapshot");
    }

    @Test
    void aStreamThatEndsBeforeTheLastChunkFails() throws IOException {
        List<SnapshotChunk> chunks = chunks(randomBytes(10_000), 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onCompleted();

        assertThat(answers.error.getDescription()).contains("without a last chunk");
        assertThat(inbound.deliveries()).isEmpty();
        assertThat(filesLeft()).isEmpty();
    }

    @Test
    void aSnapshotOverTheSizeBoundFails() {
        SnapshotReceiver r = receiver(5_000);
        chunks(randomBytes(10_000), 3_000).forEach(r::onNext);

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(inbound.deliveries()).isEmpty();
    }

    @Test
    void aSenderThatGivesUpLeavesNoFile() throws IOException {
        List<SnapshotChunk> chunks = chunks(randomBytes(10_000), 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onError(Status.CANCELLED.asRuntimeException());

        assertThat(filesLeft()).isEmpty();
        assertThat(finished).hasValue(1);
        assertThat(answers.values).isEmpty();
    }

    /** The answers the receiver sends back. */
    private static final class Answers implements StreamObserver<SnapshotChunkResp> {
        final List<SnapshotChunkResp> values = new ArrayList<>();
        Status error;
        boolean completed;

        @Override
        public void onNext(SnapshotChunkResp value) {
            values.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = Status.fromThrowable(t);
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }
}

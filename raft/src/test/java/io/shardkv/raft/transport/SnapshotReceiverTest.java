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
import io.shardkv.raft.proto.SnapshotManifest;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotFixtures;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
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

    private SnapshotStore store;

    @BeforeEach
    void openStore() {
        store = SnapshotStore.open(dir.resolve("receiver"));
    }

    private SnapshotReceiver receiver(long maxBytes) {
        return new SnapshotReceiver(2, store, maxBytes, answers, inbound, new TransportMetrics(registry, () -> 0),
                finished::incrementAndGet, OptionalLong.empty());
    }

    /** The chunks a leader sends for the given files: the manifest in the first, CRC32C on each. */
    private List<SnapshotChunk> chunks(Map<String, byte[]> files, int chunkBytes) throws IOException {
        SnapshotStore sender = SnapshotStore.open(dir.resolve("sender"));
        SnapshotManifest manifest = SnapshotFixtures.build(sender, 9, METADATA.index(), METADATA.term(), files)
                .getManifest();
        byte[] data = SnapshotFixtures.stream(files);
        List<SnapshotChunk> out = new ArrayList<>();
        int offset = 0;
        do {
            int length = Math.min(chunkBytes, data.length - offset);
            CRC32C crc = new CRC32C();
            crc.update(data, offset, length);
            SnapshotChunk.Builder chunk = SnapshotChunk.newBuilder().setGroupId(9).setTerm(5).setLeaderId(1)
                    .setMetadata(RaftMessageCodec.encodeSnapshotMetadata(METADATA)).setOffset(offset)
                    .setData(ByteString.copyFrom(data, offset, length)).setIsLastChunk(offset + length == data.length)
                    .setCrc32C((int) crc.getValue());
            if (offset == 0) {
                chunk.setManifest(manifest);
            }
            out.add(chunk.build());
            offset += length;
        } while (offset < data.length);
        return out;
    }

    private List<SnapshotChunk> chunks(int bytes, int chunkBytes) throws IOException {
        return chunks(SnapshotFixtures.randomFiles(bytes, 42), chunkBytes);
    }

    /** What the receiver's store holds outside its final areas: nothing once a call ends. */
    private List<Path> filesLeft() throws IOException {
        try (Stream<Path> files = Files.list(store.root().resolve("tmp"))) {
            return files.toList();
        }
    }

    private List<Path> received() throws IOException {
        try (Stream<Path> files = Files.list(store.root().resolve("received"))) {
            return files.toList();
        }
    }

    @Test
    void aCompleteSnapshotIsDeliveredAsASnapshotMessageFromTheLeader() throws IOException {
        Map<String, byte[]> files = SnapshotFixtures.randomFiles(10_000, 42);
        SnapshotReceiver r = receiver(1 << 20);
        chunks(files, 3_000).forEach(r::onNext);
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
        SnapshotRef ref = SnapshotStore.parseRef(m.snapshot().data());
        assertThat(ref.getDir()).startsWith("received/");
        assertThat(SnapshotFixtures.contents(store, ref)).containsExactlyEntriesOf(files);
        assertThat(answers.values).singleElement().satisfies(resp -> {
            assertThat(resp.getSuccess()).isTrue();
            assertThat(resp.getOffset()).isEqualTo(10_000);
        });
        assertThat(answers.completed).isTrue();
        assertThat(finished).hasValue(1);
        assertThat(filesLeft()).isEmpty();
        assertThat(received()).hasSize(1);
        assertThat(registry.get("raft.transport.snapshot.chunks.received").counter().count()).isEqualTo(4);
    }

    @Test
    void aSnapshotFromAnotherServerThanTheCallerProvedIsRefused() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
        // The chunks claim leader 1; the caller's certificate names server 3.
        SnapshotReceiver r = new SnapshotReceiver(2, store, 1 << 20, answers, inbound,
                new TransportMetrics(registry, () -> 0), finished::incrementAndGet, OptionalLong.of(3));
        r.onNext(chunks.get(0));
        assertThat(answers.error.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(answers.error.getDescription()).contains("names server 3").contains("leader 1");
        assertThat(registry.get("raft.transport.peers.refused").tag("reason", "identity").counter().count())
                .isEqualTo(1);
        assertThat(inbound.deliveries()).isEmpty();
        assertThat(filesLeft()).isEmpty();
    }

    @Test
    void anEmptySnapshotIsOneEmptyLastChunk() throws IOException {
        SnapshotReceiver r = receiver(1 << 20);
        chunks(Map.of(), 1000).forEach(r::onNext);
        assertThat(inbound.messagesFrom(1)).singleElement().satisfies(gm ->
                assertThat(SnapshotStore.parseRef(gm.message().snapshot().data()).getManifest().getFilesList()).isEmpty());
    }

    @Test
    void aFirstChunkWithoutAManifestOrWithAForeignOneIsRefused() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0).toBuilder().clearManifest().build());
        assertThat(answers.error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(answers.error.getDescription()).contains("has no manifest");

        Answers second = new Answers();
        SnapshotReceiver r2 = new SnapshotReceiver(2, store, 1 << 20, second, inbound,
                new TransportMetrics(registry, () -> 0), finished::incrementAndGet, OptionalLong.empty());
        SnapshotManifest escaping = chunks.get(0).getManifest().toBuilder()
                .setFiles(0, chunks.get(0).getManifest().getFiles(0).toBuilder().setName("../../etc/passwd")).build();
        r2.onNext(chunks.get(0).toBuilder().setManifest(escaping).build());
        assertThat(second.error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(second.error.getDescription()).contains("not a plain file name");

        Answers third = new Answers();
        SnapshotReceiver r3 = new SnapshotReceiver(2, store, 1 << 20, third, inbound,
                new TransportMetrics(registry, () -> 0), finished::incrementAndGet, OptionalLong.empty());
        r3.onNext(chunks.get(0).toBuilder().setManifest(chunks.get(0).getManifest().toBuilder().setGroupId(10)).build());
        assertThat(third.error.getDescription()).contains("the manifest describes group 10");
        assertThat(inbound.deliveries()).isEmpty();
        assertThat(filesLeft()).isEmpty();
    }

    @Test
    void aFileThatDoesNotMatchItsManifestChecksumFailsWithDataLoss() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
        SnapshotManifest lying = chunks.get(0).getManifest().toBuilder()
                .setFiles(0, chunks.get(0).getManifest().getFiles(0).toBuilder().setCrc32C(12345)).build();
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0).toBuilder().setManifest(lying).build());
        r.onNext(chunks.get(1));

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(answers.error.getDescription()).contains("first.sst", "does not match its checksum");
        assertThat(inbound.deliveries()).isEmpty();
        assertThat(filesLeft()).isEmpty();
        assertThat(received()).isEmpty();
    }

    @Test
    void aDamagedChunkFailsTheCallWithDataLoss() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
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
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onNext(chunks.get(2));

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(answers.error.getDescription()).contains("offset 6000 where offset 3000 was expected");
        assertThat(filesLeft()).isEmpty();
    }

    @Test
    void aChunkOfAnotherSnapshotFailsTheCall() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onNext(chunks.get(1).toBuilder().setTerm(6).build());

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(answers.error.getDescription()).contains("belongs to another snapshot");
    }

    @Test
    void aStreamThatEndsBeforeTheLastChunkFails() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
        SnapshotReceiver r = receiver(1 << 20);
        r.onNext(chunks.get(0));
        r.onCompleted();

        assertThat(answers.error.getDescription()).contains("without a last chunk");
        assertThat(inbound.deliveries()).isEmpty();
        assertThat(filesLeft()).isEmpty();
    }

    @Test
    void aSnapshotOverTheSizeBoundFails() throws IOException {
        SnapshotReceiver r = receiver(5_000);
        chunks(10_000, 3_000).forEach(r::onNext);

        assertThat(answers.error.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(inbound.deliveries()).isEmpty();
    }

    @Test
    void aSenderThatGivesUpLeavesNoFile() throws IOException {
        List<SnapshotChunk> chunks = chunks(10_000, 3_000);
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

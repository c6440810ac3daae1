package io.shardkv.raft.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.proto.SnapshotManifest;
import io.shardkv.raft.proto.SnapshotRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot files on disk: building, streaming in odd-sized pieces, checking, cleaning up. */
class SnapshotStoreTest {
    @TempDir
    Path dir;

    private static long count(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void aStreamCutAnywhereArrivesAsTheSameFiles() throws Exception {
        SnapshotStore sender = SnapshotStore.open(dir.resolve("a"));
        SnapshotStore receiver = SnapshotStore.open(dir.resolve("b"));
        Map<String, byte[]> files = SnapshotFixtures.randomFiles(100_003, 7);
        SnapshotRef built = SnapshotFixtures.build(sender, 3, 40, 2, files);
        assertThat(built.getDir()).startsWith("built/");
        assertThat(built.getManifest().getFilesList()).extracting(f -> f.getSize()).containsExactly(33_334L, 0L, 66_669L);

        Random random = new Random(1);
        SnapshotRef received;
        try (SnapshotReader reader = sender.openReader(built);
             SnapshotWriter writer = receiver.newWriter(built.getManifest())) {
            // Pieces of random length, so that they start and end anywhere, across file boundaries too.
            while (reader.position() < reader.totalBytes()) {
                ByteBuffer piece = ByteBuffer.allocate(1 + random.nextInt(40_000));
                reader.read(piece);
                writer.write(piece.flip());
            }
            received = writer.finish();
        }
        assertThat(received.getDir()).startsWith("received/");
        assertThat(SnapshotFixtures.contents(receiver, received)).containsExactlyEntriesOf(files);
        assertThat(count(receiver.root().resolve("tmp"))).isZero();
    }

    @Test
    void missingExtraOrDamagedBytesAreCaughtAndLeaveNothing() throws Exception {
        SnapshotStore sender = SnapshotStore.open(dir.resolve("a"));
        SnapshotStore receiver = SnapshotStore.open(dir.resolve("b"));
        Map<String, byte[]> files = SnapshotFixtures.randomFiles(10_000, 8);
        SnapshotManifest manifest = SnapshotFixtures.build(sender, 3, 40, 2, files).getManifest();
        byte[] stream = SnapshotFixtures.stream(files);

        try (SnapshotWriter short1 = receiver.newWriter(manifest)) {
            short1.write(ByteBuffer.wrap(stream, 0, 9_999));
            assertThatThrownBy(short1::finish).isInstanceOf(SnapshotWriter.SnapshotDamagedException.class)
                    .hasMessageContaining("ended after 9999 of 10000 bytes");
        }
        try (SnapshotWriter long1 = receiver.newWriter(manifest)) {
            assertThatThrownBy(() -> long1.write(ByteBuffer.wrap(new byte[10_001])))
                    .hasMessageContaining("more than the 10000 bytes");
        }
        byte[] damaged = stream.clone();
        damaged[9_000] ^= 1;
        try (SnapshotWriter bad = receiver.newWriter(manifest)) {
            assertThatThrownBy(() -> {
                bad.write(ByteBuffer.wrap(damaged));
                bad.finish();
            }).hasMessageContaining("rest.sst").hasMessageContaining("does not match its checksum");
        }
        assertThat(count(receiver.root().resolve("tmp"))).isZero();
        assertThat(count(receiver.root().resolve("received"))).isZero();
    }

    @Test
    void manifestsFromTheNetworkAreCheckedBeforeAnythingIsWritten() {
        SnapshotManifest ok = SnapshotManifest.newBuilder().setGroupId(1).setIndex(5)
                .addFiles(io.shardkv.raft.proto.SnapshotFileInfo.newBuilder().setName("d-0.sst").setSize(10)).build();
        Manifests.check(ok, 10);
        assertThatThrownBy(() -> Manifests.check(ok, 9)).hasMessageContaining("larger than the limit of 9");
        for (String name : new String[] {"../x", "a/b", "", ".hidden", "x".repeat(200)}) {
            SnapshotManifest bad = ok.toBuilder().setFiles(0, ok.getFiles(0).toBuilder().setName(name)).build();
            assertThatThrownBy(() -> Manifests.check(bad, 100)).hasMessageContaining("not a plain file name");
        }
        SnapshotManifest twice = ok.toBuilder().addFiles(ok.getFiles(0)).build();
        assertThatThrownBy(() -> Manifests.check(twice, 100)).hasMessageContaining("listed twice");
        SnapshotManifest negative = ok.toBuilder().setFiles(0, ok.getFiles(0).toBuilder().setSize(-1)).build();
        assertThatThrownBy(() -> Manifests.check(negative, Long.MAX_VALUE)).hasMessageContaining("larger than the limit");
        assertThatThrownBy(() -> Manifests.check(ok.toBuilder().setIndex(0).build(), 100))
                .hasMessageContaining("lacks a group or an index");
    }

    @Test
    void aReferenceCannotPointOutsideTheStore() {
        SnapshotStore store = SnapshotStore.open(dir.resolve("s"));
        for (String d : new String[] {"../etc", "tmp/x", "built/../../x", "received/a/b", "/abs", "built/"}) {
            SnapshotRef ref = SnapshotRef.newBuilder().setDir(d).setManifest(SnapshotManifest.getDefaultInstance()).build();
            assertThatThrownBy(() -> store.dirOf(ref)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> SnapshotStore.parseRef(new byte[] {1, 2, 3}))
                .hasMessageContaining("not a snapshot reference");
    }

    @Test
    void openingDeletesUnfinishedAndBuiltSnapshotsAndKeepsOnlyReferencedReceivedOnes() throws Exception {
        SnapshotStore store = SnapshotStore.open(dir.resolve("s"));
        SnapshotRef built = SnapshotFixtures.build(store, 1, 10, 1, SnapshotFixtures.randomFiles(100, 1));
        Path unfinished = store.newBuildDir(1, 11);
        Files.write(unfinished.resolve("half.sst"), new byte[10]);
        SnapshotStore other = SnapshotStore.open(dir.resolve("o"));
        SnapshotRef source = SnapshotFixtures.build(other, 2, 10, 1, SnapshotFixtures.randomFiles(100, 2));
        SnapshotRef kept = SnapshotFixtures.receive(other, source, store);
        SnapshotRef orphan = SnapshotFixtures.receive(other, source, store);

        SnapshotStore reopened = SnapshotStore.open(dir.resolve("s"));
        reopened.retainReceived(Set.of(kept.getDir()));

        assertThat(reopened.dirOf(built)).doesNotExist();
        assertThat(unfinished).doesNotExist();
        assertThat(reopened.dirOf(orphan)).doesNotExist();
        assertThat(SnapshotFixtures.contents(reopened, kept)).containsExactlyEntriesOf(
                SnapshotFixtures.contents(other, source));
    }
}

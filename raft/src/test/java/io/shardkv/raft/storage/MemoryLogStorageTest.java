package io.shardkv.raft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryLogStorageTest {

    private static List<Entry> entries(long first, long... terms) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            out.add(Entry.normal(terms[i], first + i, new byte[] {(byte) (first + i)}));
        }
        return out;
    }

    /** Storage holding indexes 1..5 at terms 1,1,2,2,3. */
    private static MemoryLogStorage five() {
        MemoryLogStorage s = new MemoryLogStorage();
        s.append(entries(1, 1, 1, 2, 2, 3));
        return s;
    }

    @Test
    void emptyStorage() {
        MemoryLogStorage s = new MemoryLogStorage();
        assertThat(s.firstIndex()).isEqualTo(1);
        assertThat(s.lastIndex()).isZero();
        assertThat(s.term(0)).isZero();
        assertThat(s.entries(1, 1, 100)).isEmpty();
        assertThat(s.initialState()).isEqualTo(new LogStorage.InitialState(HardState.EMPTY, ConfState.EMPTY));
        assertThat(s.snapshot(0)).isInstanceOf(LogStorage.SnapshotResult.TemporarilyUnavailable.class);
    }

    @Test
    void bootstrapCarriesTheInitialMembership() {
        MemoryLogStorage s = MemoryLogStorage.withMembership(ConfState.ofVoters(1L, 2L, 3L));
        assertThat(s.initialState().confState().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(s.lastIndex()).isZero();
        assertThat(s.snapshot(0)).as("index 0 is no snapshot to send")
                .isInstanceOf(LogStorage.SnapshotResult.TemporarilyUnavailable.class);
    }

    @Test
    void hardStateIsKept() {
        MemoryLogStorage s = new MemoryLogStorage();
        s.setHardState(new HardState(3, 2, 0));
        assertThat(s.hardState()).isEqualTo(new HardState(3, 2, 0));
        assertThat(s.initialState().hardState()).isEqualTo(new HardState(3, 2, 0));
    }

    @Test
    void appendAndRead() {
        MemoryLogStorage s = five();
        assertThat(s.firstIndex()).isEqualTo(1);
        assertThat(s.lastIndex()).isEqualTo(5);
        assertThat(s.term(3)).isEqualTo(2);
        assertThat(s.entries(2, 5, Long.MAX_VALUE)).extracting(Entry::index).containsExactly(2L, 3L, 4L);
    }

    @Test
    void entriesStopAtTheByteBoundButReturnAtLeastOne() {
        MemoryLogStorage s = five();
        assertThat(s.entries(1, 6, 0)).hasSize(1);
        assertThat(s.entries(1, 6, 3)).hasSize(3);
    }

    @Test
    void appendOverwritesTheSuffix() {
        MemoryLogStorage s = five();
        s.append(entries(3, 4));
        assertThat(s.lastIndex()).isEqualTo(3);
        assertThat(s.term(3)).isEqualTo(4);
        s.append(entries(4, 4, 4));
        assertThat(s.lastIndex()).isEqualTo(5);
        s.append(List.of());
        assertThat(s.lastIndex()).isEqualTo(5);
    }

    @Test
    void appendWithAGapOrBelowTheCompactionPointIsABug() {
        MemoryLogStorage s = five();
        assertThatThrownBy(() -> s.append(entries(7, 3))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("gap");
        s.compact(3);
        assertThatThrownBy(() -> s.append(entries(3, 5))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("compaction point");
        List<Entry> broken = List.of(Entry.normal(3, 6, null), Entry.normal(3, 8, null));
        assertThatThrownBy(() -> s.append(broken)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("non-contiguous");
    }

    @Test
    void compactKeepsTheTermOfTheCompactionPoint() {
        MemoryLogStorage s = five();
        s.compact(3);
        assertThat(s.firstIndex()).isEqualTo(4);
        assertThat(s.lastIndex()).isEqualTo(5);
        assertThat(s.term(3)).isEqualTo(2);
        assertThat(s.entries(4, 6, Long.MAX_VALUE)).extracting(Entry::index).containsExactly(4L, 5L);
        assertThatThrownBy(() -> s.term(2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.entries(3, 5, Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
        s.compact(2);
        assertThat(s.firstIndex()).as("compacting below the point does nothing").isEqualTo(4);
        s.compact(5);
        assertThat(s.firstIndex()).isEqualTo(6);
        assertThat(s.lastIndex()).isEqualTo(5);
        assertThat(s.term(5)).isEqualTo(3);
        assertThatThrownBy(() -> s.compact(6)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readsOutsideTheLogAreRejected() {
        MemoryLogStorage s = five();
        assertThatThrownBy(() -> s.term(6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.entries(0, 2, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.entries(4, 7, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.entries(4, 3, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void createSnapshotThenCompact() {
        MemoryLogStorage s = five();
        ConfState cs = ConfState.ofVoters(1L, 2L);
        s.createSnapshot(4, cs, new byte[] {7});
        LogStorage.SnapshotResult result = s.snapshot(2);
        assertThat(result).isInstanceOf(LogStorage.SnapshotResult.Available.class);
        Snapshot snap = ((LogStorage.SnapshotResult.Available) result).snapshot();
        assertThat(snap.index()).isEqualTo(4);
        assertThat(snap.term()).isEqualTo(2);
        assertThat(snap.metadata().confState()).isEqualTo(cs);
        assertThat(snap.data()).containsExactly(7);
        assertThat(s.firstIndex()).as("creating a snapshot does not compact").isEqualTo(1);
        s.compact(4);
        assertThat(s.firstIndex()).isEqualTo(5);
        assertThat(s.initialState().confState()).isEqualTo(cs);

        s.createSnapshot(3, ConfState.ofVoters(9L), new byte[0]);
        assertThat(s.latestSnapshot().index()).as("an older snapshot is ignored").isEqualTo(4);
        assertThatThrownBy(() -> s.createSnapshot(6, cs, new byte[0])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void snapshotCanBeTemporarilyUnavailable() {
        MemoryLogStorage s = five();
        s.createSnapshot(4, ConfState.ofVoters(1L), new byte[0]);
        s.setSnapshotUnavailable(true);
        assertThat(s.snapshot(4)).isInstanceOf(LogStorage.SnapshotResult.TemporarilyUnavailable.class);
        s.setSnapshotUnavailable(false);
        assertThat(s.snapshot(4)).isInstanceOf(LogStorage.SnapshotResult.Available.class);
    }

    @Test
    void applySnapshotReplacesTheLog() {
        MemoryLogStorage s = five();
        Snapshot snap = new Snapshot(new SnapshotMetadata(20, 6, ConfState.ofVoters(1L, 2L, 3L)), new byte[] {1, 2});
        s.applySnapshot(snap);
        assertThat(s.firstIndex()).isEqualTo(21);
        assertThat(s.lastIndex()).isEqualTo(20);
        assertThat(s.term(20)).isEqualTo(6);
        assertThat(s.latestSnapshot()).isSameAs(snap);
        assertThat(s.initialState().confState().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        s.append(entries(21, 6));
        assertThat(s.lastIndex()).isEqualTo(21);

        Snapshot older = new Snapshot(new SnapshotMetadata(20, 6, ConfState.ofVoters(1L)), new byte[0]);
        assertThatThrownBy(() -> s.applySnapshot(older)).isInstanceOf(IllegalStateException.class);
    }
}

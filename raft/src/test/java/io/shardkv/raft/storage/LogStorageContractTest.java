package io.shardkv.raft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.LogStorage.SnapshotResult;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link LogStorage} contract (seed 003, TiKV's PeerStorage), written once and run against
 * every implementation: {@code MemoryLogStorage}, which the simulation trusts, and the RocksDB
 * engine, which must behave the same. A subclass supplies a {@link Harness} that writes the way
 * its runtime would.
 */
abstract class LogStorageContractTest {
    static final ConfState MEMBERS = ConfState.ofVoters(1L, 2L, 3L);
    static final long NO_LIMIT = Long.MAX_VALUE;

    /** A storage under test and the writes its owner performs on it. */
    interface Harness extends AutoCloseable {
        LogStorage storage();

        /** Appends durably, replacing any stored suffix from the first entry's index. */
        void append(List<Entry> entries);

        void setHardState(HardState hardState);

        /** Drops entries up to and including {@code index}. */
        void compact(long index);

        /** Replaces the log with a snapshot point received from a leader. */
        void installSnapshot(SnapshotMetadata metadata);

        /** The state machine has a snapshot of its own at {@code index} ready to send. */
        void offerSnapshot(long index, ConfState confState, byte[] data);

        @Override
        void close();
    }

    /** A storage for a new group whose initial members are {@code members}. */
    protected abstract Harness bootstrap(ConfState members);

    private Harness h;
    private LogStorage s;

    @BeforeEach
    void setUp() {
        h = bootstrap(MEMBERS);
        s = h.storage();
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(term, i, ("e" + i + "t" + term).getBytes()));
        }
        return out;
    }

    static List<Entry> sized(long from, long to, long term, int bytes) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            byte[] data = new byte[bytes];
            data[0] = (byte) i;
            out.add(Entry.normal(term, i, data));
        }
        return out;
    }

    @Test
    void bootstrappedStorageIsEmptyWithItsMembers() {
        assertThat(s.initialState()).isEqualTo(new LogStorage.InitialState(HardState.EMPTY, MEMBERS));
        assertThat(s.firstIndex()).isEqualTo(1);
        assertThat(s.lastIndex()).isZero();
        assertThat(s.term(0)).isZero();
        assertThat(s.entries(1, 1, NO_LIMIT)).isEmpty();
    }

    @Test
    void appendedEntriesReadBackInOrder() {
        h.append(entries(1, 5, 1));
        h.append(entries(6, 8, 2));

        assertThat(s.firstIndex()).isEqualTo(1);
        assertThat(s.lastIndex()).isEqualTo(8);
        List<Entry> expected = new ArrayList<>(entries(1, 5, 1));
        expected.addAll(entries(6, 8, 2));
        assertThat(s.entries(1, 9, NO_LIMIT)).containsExactlyElementsOf(expected);
        assertThat(s.entries(3, 7, NO_LIMIT)).containsExactlyElementsOf(expected.subList(2, 6));
        assertThat(s.term(5)).isEqualTo(1);
        assertThat(s.term(6)).isEqualTo(2);
        assertThat(s.term(8)).isEqualTo(2);
    }

    @Test
    void entryTypesAndDataSurviveExactly() {
        List<Entry> mixed = List.of(Entry.noOp(3, 1), Entry.normal(3, 2, new byte[0]),
                new Entry(3, 3, io.shardkv.raft.core.EntryType.CONF_CHANGE, new byte[] {0, -1, 127, -128}),
                Entry.normal(3, 4, new byte[70_000]));
        h.append(mixed);
        assertThat(s.entries(1, 5, NO_LIMIT)).containsExactlyElementsOf(mixed);
    }

    @Test
    void appendTruncatesTheConflictingSuffix() {
        h.append(entries(1, 10, 1));
        h.append(entries(4, 6, 2));

        assertThat(s.lastIndex()).isEqualTo(6);
        assertThat(s.entries(1, 4, NO_LIMIT)).containsExactlyElementsOf(entries(1, 3, 1));
        assertThat(s.entries(4, 7, NO_LIMIT)).containsExactlyElementsOf(entries(4, 6, 2));
        assertThat(s.term(6)).isEqualTo(2);
        assertThatThrownBy(() -> s.term(7)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.entries(4, 8, NO_LIMIT)).isInstanceOf(IllegalArgumentException.class);

        // The log grows again from the new suffix, with nothing of the old one showing through.
        h.append(entries(7, 12, 3));
        assertThat(s.lastIndex()).isEqualTo(12);
        assertThat(s.term(7)).isEqualTo(3);
        assertThat(s.entries(6, 13, NO_LIMIT)).extracting(Entry::term).containsExactly(2L, 3L, 3L, 3L, 3L, 3L, 3L);
    }

    @Test
    void appendReplacingTheWholeLogKeepsOnlyTheNewEntries() {
        h.append(entries(1, 5, 1));
        h.append(entries(1, 2, 2));
        assertThat(s.lastIndex()).isEqualTo(2);
        assertThat(s.entries(1, 3, NO_LIMIT)).containsExactlyElementsOf(entries(1, 2, 2));
    }

    @Test
    void appendLeavingAGapIsRefused() {
        h.append(entries(1, 3, 1));
        assertThatThrownBy(() -> h.append(entries(5, 6, 1))).isInstanceOf(IllegalStateException.class);
        assertThat(s.lastIndex()).isEqualTo(3);
    }

    @Test
    void termLookupsAtTheBoundaries() {
        h.append(entries(1, 10, 1));
        h.append(entries(11, 20, 2));
        h.setHardState(new HardState(2, 1, 15));
        h.compact(7);

        assertThat(s.term(7)).as("term of the compaction point is kept").isEqualTo(1);
        assertThat(s.term(8)).isEqualTo(1);
        assertThat(s.term(10)).isEqualTo(1);
        assertThat(s.term(11)).isEqualTo(2);
        assertThat(s.term(20)).isEqualTo(2);
        assertThatThrownBy(() -> s.term(6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.term(21)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void entriesStopAtTheByteLimitButReturnAtLeastOne() {
        h.append(sized(1, 10, 1, 100));

        assertThat(s.entries(1, 11, 250)).hasSize(2);
        assertThat(s.entries(1, 11, 300)).hasSize(3);
        assertThat(s.entries(1, 11, 0)).hasSize(1);
        assertThat(s.entries(4, 11, 99)).extracting(Entry::index).containsExactly(4L);
        assertThat(s.entries(1, 11, NO_LIMIT)).hasSize(10);
        assertThat(s.entries(9, 11, 1000)).extracting(Entry::index).containsExactly(9L, 10L);
    }

    @Test
    void oversizedFirstEntryIsStillReturned() {
        h.append(sized(1, 1, 1, 10_000));
        h.append(sized(2, 3, 1, 10));
        assertThat(s.entries(1, 4, 100)).extracting(Entry::index).containsExactly(1L);
        assertThat(s.entries(2, 4, 100)).extracting(Entry::index).containsExactly(2L, 3L);
    }

    @Test
    void badRangesAreRefused() {
        h.append(entries(1, 10, 1));
        h.setHardState(new HardState(1, 1, 10));
        h.compact(3);

        assertThatThrownBy(() -> s.entries(3, 5, NO_LIMIT)).as("below first index")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
        assertThatThrownBy(() -> s.entries(4, 12, NO_LIMIT)).as("beyond last index + 1")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12");
        assertThatThrownBy(() -> s.entries(6, 5, NO_LIMIT)).as("inverted")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.term(2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.term(11)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.entries(5, 5, NO_LIMIT)).isEmpty();
        assertThat(s.entries(11, 11, NO_LIMIT)).isEmpty();
    }

    @Test
    void compactionMovesTheFirstIndex() {
        h.append(entries(1, 10, 1));
        h.setHardState(new HardState(1, 1, 8));
        h.compact(5);

        assertThat(s.firstIndex()).isEqualTo(6);
        assertThat(s.lastIndex()).isEqualTo(10);
        assertThat(s.entries(6, 11, NO_LIMIT)).containsExactlyElementsOf(entries(6, 10, 1));
        assertThatThrownBy(() -> s.entries(5, 6, NO_LIMIT)).isInstanceOf(IllegalArgumentException.class);

        h.compact(8);
        assertThat(s.firstIndex()).isEqualTo(9);
        assertThat(s.term(8)).isEqualTo(1);
        assertThat(s.initialState().confState()).isEqualTo(MEMBERS);
        assertThat(s.initialState().hardState()).isEqualTo(new HardState(1, 1, 8));
    }

    @Test
    void compactingTheWholeLogLeavesAnEmptyLogThatGrows() {
        h.append(entries(1, 4, 2));
        h.setHardState(new HardState(2, 1, 4));
        h.compact(4);

        assertThat(s.firstIndex()).isEqualTo(5);
        assertThat(s.lastIndex()).isEqualTo(4);
        assertThat(s.term(4)).isEqualTo(2);
        assertThat(s.entries(5, 5, NO_LIMIT)).isEmpty();
        h.append(entries(5, 6, 3));
        assertThat(s.entries(5, 7, NO_LIMIT)).containsExactlyElementsOf(entries(5, 6, 3));
        assertThatThrownBy(() -> h.append(entries(4, 4, 3))).as("append below the compaction point")
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void snapshotInstallReplacesTheLog() {
        h.append(entries(1, 5, 1));
        ConfState newMembers = ConfState.ofVoters(2L, 3L, 4L);
        h.installSnapshot(new SnapshotMetadata(20, 4, newMembers));
        h.setHardState(new HardState(4, 0, 20));

        assertThat(s.firstIndex()).isEqualTo(21);
        assertThat(s.lastIndex()).isEqualTo(20);
        assertThat(s.term(20)).isEqualTo(4);
        assertThatThrownBy(() -> s.term(5)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.initialState().hardState()).isEqualTo(new HardState(4, 0, 20));
        assertThat(s.initialState().confState()).isEqualTo(newMembers);

        h.append(entries(21, 23, 4));
        assertThat(s.entries(21, 24, NO_LIMIT)).containsExactlyElementsOf(entries(21, 23, 4));
    }

    @Test
    void snapshotBehindTheLogStillReplacesAllOfIt() {
        h.append(entries(1, 10, 1));
        h.installSnapshot(new SnapshotMetadata(4, 1, MEMBERS));

        assertThat(s.firstIndex()).isEqualTo(5);
        assertThat(s.lastIndex()).isEqualTo(4);
        assertThat(s.entries(5, 5, NO_LIMIT)).isEmpty();
    }

    @Test
    void hardStateIsKept() {
        h.append(entries(1, 3, 5));
        h.setHardState(new HardState(5, 2, 3));
        assertThat(s.initialState().hardState()).isEqualTo(new HardState(5, 2, 3));
        h.setHardState(new HardState(6, 0, 3));
        assertThat(s.initialState().hardState()).isEqualTo(new HardState(6, 0, 3));
    }

    @Test
    void snapshotIsTemporarilyUnavailableUntilTheStateMachineHasOne() {
        h.append(entries(1, 10, 1));
        assertThat(s.snapshot(5)).isInstanceOf(SnapshotResult.TemporarilyUnavailable.class);

        byte[] data = {1, 2, 3};
        h.offerSnapshot(8, MEMBERS, data);
        SnapshotResult result = s.snapshot(5);
        assertThat(result).isInstanceOf(SnapshotResult.Available.class);
        Snapshot snap = ((SnapshotResult.Available) result).snapshot();
        assertThat(snap.index()).isGreaterThanOrEqualTo(5).isEqualTo(8);
        assertThat(snap.term()).isEqualTo(1);
        assertThat(snap.metadata().confState()).isEqualTo(MEMBERS);
        assertThat(snap.data()).containsExactly(data);
    }
}

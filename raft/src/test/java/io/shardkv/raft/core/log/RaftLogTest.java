package io.shardkv.raft.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RaftLogTest {

    private static final long NO_LIMIT = Long.MAX_VALUE;

    /** Entries at consecutive indexes starting at {@code first}, with the given terms, data of {@code size} bytes. */
    private static List<Entry> sized(long first, int size, long... terms) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            out.add(Entry.normal(terms[i], first + i, new byte[size]));
        }
        return out;
    }

    private static List<Entry> entries(long first, long... terms) {
        return sized(first, 1, terms);
    }

    /** A log whose durable part holds {@code terms} from index 1. */
    private static RaftLog stored(long... terms) {
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.append(entries(1, terms));
        return new RaftLog(storage, NO_LIMIT);
    }

    private static long[] terms(List<Entry> es) {
        return es.stream().mapToLong(Entry::term).toArray();
    }

    @Test
    void emptyLog() {
        RaftLog log = new RaftLog(new MemoryLogStorage(), NO_LIMIT);
        assertThat(log.firstIndex()).isEqualTo(1);
        assertThat(log.lastIndex()).isZero();
        assertThat(log.lastTerm()).isZero();
        assertThat(log.committed()).isZero();
        assertThat(log.applied()).isZero();
        assertThat(log.matchTerm(0, 0)).isTrue();
        assertThat(log.hasNextCommittedEntries()).isFalse();
    }

    @Nested
    class Append {
        @Test
        void appendsAfterStableEntries() {
            RaftLog log = stored(1, 1);
            assertThat(log.append(entries(3, 2, 2))).isEqualTo(4);
            assertThat(log.unstableEntries()).extracting(Entry::index).containsExactly(3L, 4L);
            assertThat(log.lastTerm()).isEqualTo(2);
            assertThat(log.termOrZero(2)).isEqualTo(1);
        }

        @Test
        void appendingNothingReturnsLastIndex() {
            assertThat(stored(1, 1).append(List.of())).isEqualTo(2);
        }

        @Test
        void appendTruncatesTheUnstableSuffix() {
            RaftLog log = stored(1);
            log.append(entries(2, 1, 1, 1));
            log.append(entries(3, 2));
            assertThat(log.lastIndex()).isEqualTo(3);
            assertThat(terms(log.unstableEntries())).containsExactly(1, 2);
        }

        @Test
        void appendOverStableEntriesShadowsThem() {
            RaftLog log = stored(1, 1, 1);
            log.append(entries(2, 3));
            assertThat(log.lastIndex()).isEqualTo(2);
            assertThat(log.termOrZero(2)).isEqualTo(3);
            assertThat(log.termOrZero(3)).as("gone from the log's view").isZero();
            assertThat(log.unstableEntries()).extracting(Entry::index).containsExactly(2L);
        }

        @Test
        void appendBelowCommitIsABug() {
            RaftLog log = stored(1, 1, 1);
            log.commitTo(2);
            assertThatThrownBy(() -> log.append(entries(2, 2))).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class MaybeAppend {
        @Test
        void rejectsWhenThePreviousEntryDoesNotMatch() {
            RaftLog log = stored(1, 2);
            assertThat(log.maybeAppend(2, 1, 0, entries(3, 2))).isEqualTo(-1);
            assertThat(log.maybeAppend(5, 2, 0, entries(6, 2))).as("beyond our log").isEqualTo(-1);
            assertThat(log.lastIndex()).isEqualTo(2);
        }

        @Test
        void entriesAlreadyPresentDoNotTruncateLaterOnes() {
            // A delayed append that we already hold must not cut off what came after it.
            RaftLog log = stored(1, 1, 1, 1, 1);
            assertThat(log.maybeAppend(1, 1, 0, entries(2, 1, 1))).isEqualTo(3);
            assertThat(log.lastIndex()).isEqualTo(5);
            assertThat(log.unstableEntries()).isEmpty();
        }

        @Test
        void conflictingSuffixIsReplaced() {
            RaftLog log = stored(1, 1, 2, 2, 2);
            assertThat(log.maybeAppend(2, 1, 0, entries(3, 3, 3))).isEqualTo(4);
            assertThat(log.lastIndex()).isEqualTo(4);
            assertThat(log.termOrZero(3)).isEqualTo(3);
            assertThat(log.termOrZero(5)).isZero();
            assertThat(log.unstableEntries()).extracting(Entry::index).containsExactly(3L, 4L);
        }

        @Test
        void onlyTheNewPartIsAppended() {
            RaftLog log = stored(1, 1, 1);
            assertThat(log.maybeAppend(1, 1, 0, entries(2, 1, 1, 1, 1))).isEqualTo(5);
            assertThat(log.unstableEntries()).extracting(Entry::index).containsExactly(4L, 5L);
        }

        @Test
        void commitsUpToTheLeaderCommitButNotPastTheNewEntries() {
            RaftLog log = stored(1, 1, 1, 1, 1);
            log.maybeAppend(1, 1, 9, entries(2, 1));
            assertThat(log.committed()).as("only what this append proved to match").isEqualTo(2);
            log.maybeAppend(2, 1, 4, entries(3, 1, 1));
            assertThat(log.committed()).isEqualTo(4);
        }

        @Test
        void aConflictWithACommittedEntryIsABug() {
            RaftLog log = stored(1, 1, 1);
            log.commitTo(3);
            assertThatThrownBy(() -> log.maybeAppend(1, 1, 3, entries(2, 2))).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void findConflict() {
        RaftLog log = stored(1, 1, 2, 2);
        assertThat(log.findConflict(List.of())).isZero();
        assertThat(log.findConflict(entries(1, 1, 1, 2))).as("all present").isZero();
        assertThat(log.findConflict(entries(3, 2, 3))).as("term differs at 4").isEqualTo(4);
        assertThat(log.findConflict(entries(4, 2, 2, 2))).as("new at 5").isEqualTo(5);
        assertThat(log.findConflict(entries(2, 9))).isEqualTo(2);
    }

    @Nested
    class FindConflictByTerm {
        // Index:  1 2 3 4 5 6
        // Term:   1 1 2 2 4 4
        private final RaftLog log = stored(1, 1, 2, 2, 4, 4);

        @Test
        void findsTheLastIndexWithTermAtMostTheGivenOne() {
            assertThat(log.findConflictByTerm(6, 4)).isEqualTo(6);
            assertThat(log.findConflictByTerm(6, 3)).as("skips the whole of term 4").isEqualTo(4);
            assertThat(log.findConflictByTerm(6, 2)).isEqualTo(4);
            assertThat(log.findConflictByTerm(6, 1)).isEqualTo(2);
            assertThat(log.findConflictByTerm(3, 1)).isEqualTo(2);
            assertThat(log.findConflictByTerm(6, 0)).isZero();
        }

        @Test
        void indexBeyondTheLogIsReturnedAsIs() {
            assertThat(log.findConflictByTerm(9, 1)).isEqualTo(9);
        }

        @Test
        void stopsAtTheCompactionPoint() {
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.append(entries(1, 1, 1, 2, 2, 4, 4));
            storage.compact(3);
            RaftLog compacted = new RaftLog(storage, NO_LIMIT);
            assertThat(compacted.findConflictByTerm(6, 1)).isEqualTo(3);
            assertThat(compacted.findConflictByTerm(6, 2)).isEqualTo(4);
        }
    }

    @Test
    void isUpToDateComparesLastTermThenLength() {
        RaftLog log = stored(1, 2, 2);
        assertThat(log.isUpToDate(1, 3)).as("higher last term wins even if shorter").isTrue();
        assertThat(log.isUpToDate(3, 2)).as("same term, same length").isTrue();
        assertThat(log.isUpToDate(4, 2)).as("same term, longer").isTrue();
        assertThat(log.isUpToDate(2, 2)).as("same term, shorter").isFalse();
        assertThat(log.isUpToDate(9, 1)).as("lower last term loses even if longer").isFalse();
    }

    @Nested
    class Commit {
        @Test
        void commitToNeverGoesBack() {
            RaftLog log = stored(1, 1, 1);
            log.commitTo(2);
            log.commitTo(1);
            assertThat(log.committed()).isEqualTo(2);
        }

        @Test
        void commitBeyondTheLogIsABug() {
            RaftLog log = stored(1, 1, 1);
            assertThatThrownBy(() -> log.commitTo(4)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void maybeCommitOnlyCountsEntriesOfTheGivenTerm() {
            // Raft 5.4.2: an index replicated on a majority commits only if it carries the
            // current term.
            RaftLog log = stored(1, 2, 2, 3);
            assertThat(log.maybeCommit(3, 3)).isFalse();
            assertThat(log.committed()).isZero();
            assertThat(log.maybeCommit(4, 3)).isTrue();
            assertThat(log.committed()).isEqualTo(4);
            assertThat(log.maybeCommit(3, 2)).as("below commit").isFalse();
            assertThat(log.maybeCommit(9, 3)).as("beyond the log").isFalse();
        }

        @Test
        void appliedStaysWithinCommitted() {
            RaftLog log = stored(1, 1, 1);
            log.commitTo(2);
            log.appliedTo(2);
            assertThat(log.applied()).isEqualTo(2);
            assertThatThrownBy(() -> log.appliedTo(3)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> log.appliedTo(1)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void nextCommittedEntriesAreBoundedInBytes() {
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.append(sized(1, 10, 1, 1, 1, 1));
            RaftLog log = new RaftLog(storage, 25);
            log.commitTo(4);
            assertThat(log.hasNextCommittedEntries()).isTrue();
            assertThat(log.nextCommittedEntries()).extracting(Entry::index).containsExactly(1L, 2L);
            log.appliedTo(2);
            assertThat(log.nextCommittedEntries()).extracting(Entry::index).containsExactly(3L, 4L);
            log.appliedTo(4);
            assertThat(log.hasNextCommittedEntries()).isFalse();
            assertThat(log.nextCommittedEntries()).isEmpty();
        }
    }

    @Nested
    class Slice {
        /** Indexes 1..3 durable, 4..6 unstable; entry i holds i * 10 bytes. */
        private RaftLog mixed() {
            MemoryLogStorage storage = new MemoryLogStorage();
            for (int i = 1; i <= 3; i++) {
                storage.append(List.of(Entry.normal(1, i, new byte[i * 10])));
            }
            RaftLog log = new RaftLog(storage, NO_LIMIT);
            for (int i = 4; i <= 6; i++) {
                log.append(List.of(Entry.normal(2, i, new byte[i * 10])));
            }
            return log;
        }

        @Test
        void spansStableAndUnstableParts() {
            RaftLog log = mixed();
            assertThat(log.slice(2, 6, NO_LIMIT)).extracting(Entry::index).containsExactly(2L, 3L, 4L, 5L);
            assertThat(log.slice(1, 7, NO_LIMIT)).hasSize(6);
            assertThat(log.slice(5, 5, NO_LIMIT)).isEmpty();
            assertThat(log.entriesFrom(5, NO_LIMIT)).extracting(Entry::index).containsExactly(5L, 6L);
            assertThat(log.entriesFrom(7, NO_LIMIT)).isEmpty();
        }

        @Test
        void byteLimitStopsInTheStablePart() {
            // 10 + 20 = 30 fits, + 30 does not.
            assertThat(mixed().slice(1, 7, 35)).extracting(Entry::index).containsExactly(1L, 2L);
        }

        @Test
        void byteLimitStopsInTheUnstablePart() {
            // 20 + 30 + 40 = 90 fits, + 50 does not.
            assertThat(mixed().slice(2, 7, 95)).extracting(Entry::index).containsExactly(2L, 3L, 4L);
            assertThat(mixed().slice(4, 7, 95)).extracting(Entry::index).containsExactly(4L, 5L);
        }

        @Test
        void alwaysReturnsAtLeastOneEntry() {
            assertThat(mixed().slice(3, 7, 1)).extracting(Entry::index).containsExactly(3L);
            assertThat(mixed().slice(5, 7, 1)).extracting(Entry::index).containsExactly(5L);
        }

        @Test
        void outOfRangeIsABug() {
            RaftLog log = mixed();
            assertThatThrownBy(() -> log.slice(0, 2, NO_LIMIT)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> log.slice(2, 8, NO_LIMIT)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> log.slice(4, 3, NO_LIMIT)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void compactedEntriesAreOutOfRange() {
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.append(entries(1, 1, 1, 1, 1));
            storage.compact(2);
            RaftLog log = new RaftLog(storage, NO_LIMIT);
            assertThat(log.firstIndex()).isEqualTo(3);
            assertThat(log.termOrZero(2)).as("term of the compaction point is known").isEqualTo(1);
            assertThat(log.termOrZero(1)).isZero();
            assertThat(log.termAvailable(2)).isTrue();
            assertThat(log.termAvailable(1)).isFalse();
            assertThatThrownBy(() -> log.slice(2, 4, NO_LIMIT)).isInstanceOf(IllegalStateException.class);
            assertThat(log.committed()).as("compacted entries were committed").isEqualTo(2);
            assertThat(log.applied()).isEqualTo(2);
        }
    }

    @Nested
    class Stability {
        @Test
        void stableToMovesEntriesOutOfTheUnstablePart() {
            MemoryLogStorage storage = new MemoryLogStorage();
            RaftLog log = new RaftLog(storage, NO_LIMIT);
            log.append(entries(1, 1, 1, 1));
            storage.append(log.unstableEntries().subList(0, 2));
            log.stableTo(2, 1);
            assertThat(log.unstableEntries()).extracting(Entry::index).containsExactly(3L);
            assertThat(log.slice(1, 4, NO_LIMIT)).hasSize(3);
        }

        @Test
        void stableToWithAStaleTermIsIgnored() {
            RaftLog log = new RaftLog(new MemoryLogStorage(), NO_LIMIT);
            log.append(entries(1, 1, 1));
            // The owner persisted 1..2 at term 1, but meanwhile index 2 was rewritten at term 2.
            log.append(entries(2, 2));
            log.stableTo(2, 1);
            assertThat(log.unstableEntries()).extracting(Entry::index).containsExactly(1L, 2L);
        }
    }

    @Nested
    class Restore {
        private final Snapshot snapshot = new Snapshot(new SnapshotMetadata(10, 4, ConfState.ofVoters(1L, 2L)), new byte[3]);

        @Test
        void restoreReplacesTheLogWithAPendingSnapshot() {
            RaftLog log = stored(1, 1, 2);
            log.append(entries(4, 2));
            log.restore(snapshot);
            assertThat(log.hasPendingSnapshot()).isTrue();
            assertThat(log.pendingSnapshot()).isSameAs(snapshot);
            assertThat(log.firstIndex()).isEqualTo(11);
            assertThat(log.lastIndex()).isEqualTo(10);
            assertThat(log.lastTerm()).isEqualTo(4);
            assertThat(log.committed()).isEqualTo(10);
            assertThat(log.matchTerm(10, 4)).isTrue();
            assertThat(log.unstableEntries()).isEmpty();
            assertThat(log.hasNextCommittedEntries()).as("nothing to apply before the snapshot").isFalse();
        }

        @Test
        void entriesAfterARestoredSnapshot() {
            RaftLog log = stored(1, 1, 2);
            log.restore(snapshot);
            assertThat(log.maybeAppend(10, 4, 11, entries(11, 5))).isEqualTo(11);
            assertThat(log.lastIndex()).isEqualTo(11);
            assertThat(log.committed()).isEqualTo(11);
        }

        @Test
        void theOwnerInstallsTheSnapshot() {
            MemoryLogStorage storage = new MemoryLogStorage();
            storage.append(entries(1, 1, 1));
            RaftLog log = new RaftLog(storage, NO_LIMIT);
            log.restore(snapshot);
            storage.applySnapshot(snapshot);
            log.stableSnapshotTo(10);
            log.appliedSnapshot(10);
            assertThat(log.hasPendingSnapshot()).isFalse();
            assertThat(log.firstIndex()).isEqualTo(11);
            assertThat(log.lastIndex()).isEqualTo(10);
            assertThat(log.applied()).isEqualTo(10);
            assertThat(log.termOrZero(10)).isEqualTo(4);
        }
    }
}

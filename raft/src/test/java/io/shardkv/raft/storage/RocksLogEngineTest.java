package io.shardkv.raft.storage;

import static io.shardkv.raft.storage.LogStorageContractTest.entries;
import static io.shardkv.raft.storage.LogStorageContractTest.sized;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Ready;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's own duties: group commit, recovery, caches, groups' lifecycle, compaction rules. */
class RocksLogEngineTest {
    private static final ConfState MEMBERS = ConfState.ofVoters(1L, 2L, 3L);
    private static final long NO_LIMIT = Long.MAX_VALUE;

    @TempDir
    Path dir;

    @Test
    void manyGroupsInOneBatchCostOneSync() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            for (long g = 1; g <= 200; g++) {
                engine.createGroup(g, MEMBERS);
            }
            LogBatch batch = new LogBatch();
            for (long g = 1; g <= 200; g++) {
                batch.append(g, entries(1, 5, g)).setHardState(g, new HardState(g, 1, 3));
            }
            long syncsBefore = engine.walSyncCount();
            engine.write(batch);

            assertThat(engine.walSyncCount() - syncsBefore).isEqualTo(1);
            assertThat(batch.isEmpty()).as("a write empties the batch for reuse").isTrue();
            for (long g = 1; g <= 200; g++) {
                RocksGroupStorage s = engine.group(g).orElseThrow();
                assertThat(s.lastIndex()).isEqualTo(5);
                assertThat(s.entries(1, 6, NO_LIMIT)).containsExactlyElementsOf(entries(1, 5, g));
                assertThat(s.hardState()).isEqualTo(new HardState(g, 1, 3));
            }
        }
    }

    @Test
    void aBatchThatOnlyMovesCommitIndexesIsWrittenWithoutASyncAndKeptAcrossAReopen() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().append(1, entries(1, 10, 2)).setHardState(1, new HardState(2, 1, 5)));
            long syncs = engine.walSyncCount();
            Ready commitOnly = new Ready(null, new HardState(2, 1, 9), List.of(), null, List.of(), 0, List.of(),
                    List.of(), false);
            LogBatch batch = new LogBatch().add(1, commitOnly);
            assertThat(batch.needsSync()).isFalse();
            engine.write(batch);
            assertThat(engine.walSyncCount()).as("no fsync").isEqualTo(syncs);
            assertThat(engine.group(1).orElseThrow().hardState()).isEqualTo(new HardState(2, 1, 9));

            LogBatch withEntries = new LogBatch().add(1, commitOnly).append(1, entries(11, 11, 2));
            assertThat(withEntries.needsSync()).isTrue();
            engine.write(withEntries);
            assertThat(engine.walSyncCount()).isEqualTo(syncs + 1);
        }
        // A process that dies (not the machine) keeps what it wrote to the WAL.
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            assertThat(engine.group(1).orElseThrow().hardState()).isEqualTo(new HardState(2, 1, 9));
            assertThat(engine.group(1).orElseThrow().lastIndex()).isEqualTo(11);
        }
    }

    @Test
    void reopeningRecoversEveryGroupExactly() {
        long[] ids = {0, 1, 2, 1L << 40, Long.MAX_VALUE};
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            for (long g : ids) {
                engine.createGroup(g, MEMBERS);
            }
            engine.write(new LogBatch()
                    .append(0, entries(1, 50, 1)).setHardState(0, new HardState(1, 1, 40))
                    .append(1, entries(1, 10, 1))
                    .append(2, entries(1, 10, 1)).setHardState(2, new HardState(3, 2, 5))
                    .append(1L << 40, entries(1, 3, 1))
                    .append(Long.MAX_VALUE, entries(1, 7, 2)).setHardState(Long.MAX_VALUE, new HardState(2, 3, 7)));
            engine.compact(0, 30);
            engine.write(new LogBatch().append(2, entries(6, 8, 3)));
            engine.write(new LogBatch().installSnapshot(1L << 40, new SnapshotMetadata(100, 4, ConfState.ofVoters(9L)))
                    .append(1L << 40, entries(101, 102, 4)).setHardState(1L << 40, new HardState(4, 0, 100)));
        }

        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            assertThat(engine.groupIds()).containsExactly(0L, 1L, 2L, 1L << 40, Long.MAX_VALUE);

            RocksGroupStorage g0 = engine.group(0).orElseThrow();
            assertThat(g0.firstIndex()).isEqualTo(31);
            assertThat(g0.lastIndex()).isEqualTo(50);
            assertThat(g0.term(30)).isEqualTo(1);
            assertThat(g0.entries(31, 51, NO_LIMIT)).containsExactlyElementsOf(entries(31, 50, 1));
            assertThat(g0.initialState().hardState()).isEqualTo(new HardState(1, 1, 40));

            RocksGroupStorage g1 = engine.group(1).orElseThrow();
            assertThat(g1.entries(1, 11, NO_LIMIT)).containsExactlyElementsOf(entries(1, 10, 1));
            assertThat(g1.initialState().hardState()).isEqualTo(HardState.EMPTY);

            RocksGroupStorage g2 = engine.group(2).orElseThrow();
            assertThat(g2.lastIndex()).as("the truncated suffix stays gone").isEqualTo(8);
            assertThat(g2.term(8)).isEqualTo(3);
            assertThat(g2.entries(5, 9, NO_LIMIT)).extracting(Entry::term).containsExactly(1L, 3L, 3L, 3L);

            RocksGroupStorage big = engine.group(1L << 40).orElseThrow();
            assertThat(big.firstIndex()).isEqualTo(101);
            assertThat(big.lastIndex()).isEqualTo(102);
            assertThat(big.term(100)).isEqualTo(4);
            assertThat(big.initialState().confState()).isEqualTo(ConfState.ofVoters(9L));

            RocksGroupStorage max = engine.group(Long.MAX_VALUE).orElseThrow();
            assertThat(max.entries(1, 8, NO_LIMIT)).containsExactlyElementsOf(entries(1, 7, 2));
            assertThat(max.hardState()).isEqualTo(new HardState(2, 3, 7));
            assertThat(max.initialState().confState()).isEqualTo(MEMBERS);
        }
    }

    @Test
    void emptyGroupForAReplicaAddedLaterStartsFromItsLeadersSnapshot() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.createGroup(5);
            assertThat(s.initialState().confState()).isEqualTo(ConfState.EMPTY);
            assertThat(s.firstIndex()).isEqualTo(1);
            assertThat(s.lastIndex()).isZero();

            engine.write(new LogBatch().add(5, new Ready(null, new HardState(3, 0, 40), entries(41, 42, 3),
                    new Snapshot(new SnapshotMetadata(40, 3, MEMBERS), new byte[0]), List.of(), List.of(), List.of())));
            assertThat(s.firstIndex()).isEqualTo(41);
            assertThat(s.lastIndex()).isEqualTo(42);
            assertThat(s.initialState()).isEqualTo(new io.shardkv.raft.core.LogStorage.InitialState(
                    new HardState(3, 0, 40), MEMBERS));
        }
    }

    @Test
    void repeatedWritesToOneGroupInABatchMergeLikeTheLog() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().append(1, entries(1, 10, 1)));
            LogBatch batch = new LogBatch()
                    .append(1, entries(11, 15, 2)).setHardState(1, new HardState(2, 1, 11))
                    .append(1, entries(13, 14, 3)).setHardState(1, new HardState(3, 2, 12))
                    .append(1, entries(8, 9, 4)).setHardState(1, new HardState(4, 2, 7));
            assertThat(batch.groupCount()).isEqualTo(1);
            engine.write(batch);

            assertThat(s.lastIndex()).isEqualTo(9);
            assertThat(s.entries(1, 10, NO_LIMIT)).extracting(Entry::term)
                    .containsExactly(1L, 1L, 1L, 1L, 1L, 1L, 1L, 4L, 4L);
            assertThat(s.hardState()).as("the last hard state wins").isEqualTo(new HardState(4, 2, 7));

            // A snapshot install drops what was appended before it in the same batch.
            engine.write(new LogBatch().append(1, entries(10, 12, 4))
                    .installSnapshot(1, new SnapshotMetadata(20, 5, MEMBERS)).append(1, entries(21, 21, 5)));
            assertThat(s.firstIndex()).isEqualTo(21);
            assertThat(s.entries(21, 22, NO_LIMIT)).containsExactlyElementsOf(entries(21, 21, 5));
        }
    }

    @Test
    void commitBeyondTheLastIndexIsRefusedAndNothingIsWritten() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage a = engine.createGroup(1, MEMBERS);
            RocksGroupStorage b = engine.createGroup(2, MEMBERS);
            LogBatch batch = new LogBatch().append(1, entries(1, 3, 1)).setHardState(2, new HardState(1, 0, 5));
            assertThatThrownBy(() -> engine.write(batch)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("group 2").hasMessageContaining("commit 5");
            assertThat(batch.isEmpty()).isTrue();
            assertThat(a.lastIndex()).isZero();
            assertThat(b.hardState()).isEqualTo(HardState.EMPTY);
        }
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            assertThat(engine.group(1).orElseThrow().lastIndex()).as("group 1's part was not written either").isZero();
        }
    }

    @Test
    void failedWriteNamesItsGroupsAndChangesNothingInMemory() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage a = engine.createGroup(1, MEMBERS);
            RocksGroupStorage b = engine.createGroup(2, MEMBERS);
            engine.write(new LogBatch().append(1, entries(1, 3, 1)));
            engine.db().breakWritesForTesting();

            LogBatch batch = new LogBatch().append(1, entries(4, 6, 1)).append(2, entries(1, 2, 1))
                    .setHardState(2, new HardState(1, 1, 1));
            assertThatThrownBy(() -> engine.write(batch))
                    .isInstanceOfSatisfying(LogEngineException.class,
                            e -> assertThat(e.groupIds()).containsExactlyInAnyOrder(1L, 2L))
                    .hasMessageContaining("groups [1, 2]");
            assertThat(a.lastIndex()).isEqualTo(3);
            assertThat(a.entries(1, 4, NO_LIMIT)).containsExactlyElementsOf(entries(1, 3, 1));
            assertThat(b.lastIndex()).isZero();
            assertThat(b.hardState()).isEqualTo(HardState.EMPTY);

            // The group can still be written by its owner afterwards (the write flag was released);
            // RocksDB still refuses, with the same clear error.
            assertThatThrownBy(() -> engine.write(new LogBatch().append(1, entries(4, 4, 1))))
                    .isInstanceOf(LogEngineException.class).hasMessageContaining("groups [1]");
        }
    }

    @Test
    void cachesStayWithinTheirBoundsAndReadsFallBackToDisk() {
        long perGroup = 2_000;
        long total = 8_000;
        try (RocksLogEngine engine = RocksLogEngine.open(dir, RocksLogEngineConfig.defaults().withCacheBytes(perGroup, total))) {
            for (long g = 1; g <= 20; g++) {
                engine.createGroup(g, MEMBERS);
            }
            for (int round = 0; round < 10; round++) {
                LogBatch batch = new LogBatch();
                for (long g = 1; g <= 20; g++) {
                    batch.append(g, sized(round * 5L + 1, round * 5L + 5, 1, 100));
                }
                engine.write(batch);
                assertThat(engine.cacheBytes()).isLessThanOrEqualTo(total);
                for (long g = 1; g <= 20; g++) {
                    assertThat(engine.group(g).orElseThrow().cache().sizeBytes()).isLessThanOrEqualTo(perGroup);
                }
            }
            for (long g = 1; g <= 20; g++) {
                assertThat(engine.group(g).orElseThrow().entries(1, 51, NO_LIMIT)).containsExactlyElementsOf(sized(1, 50, 1, 100));
            }

            // A busy group takes memory back from idle ones.
            for (long i = 51; i <= 60; i++) {
                engine.write(new LogBatch().append(20, sized(i, i, 1, 100)));
            }
            EntryCache busy = engine.group(20).orElseThrow().cache();
            assertThat(busy.size()).isGreaterThan(5);
            assertThat(busy.firstIndex() + busy.size() - 1).as("the cache ends at the last index").isEqualTo(60);
            assertThat(engine.cacheBytes()).isLessThanOrEqualTo(total);
        }
    }

    @Test
    void anEntryLargerThanTheGroupCacheIsReadFromDisk() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir, RocksLogEngineConfig.defaults().withCacheBytes(1_000, 10_000))) {
            RocksGroupStorage s = engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().append(1, sized(1, 3, 1, 10)));
            engine.write(new LogBatch().append(1, sized(4, 4, 1, 5_000)));
            assertThat(s.cache().size()).isZero();
            assertThat(s.entries(1, 5, NO_LIMIT)).hasSize(4);
            assertThat(s.term(4)).isEqualTo(1);
        }
    }

    @Test
    void destroyingAGroupRemovesItsLogAndStateOnly() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            for (long g = 1; g <= 3; g++) {
                engine.createGroup(g, MEMBERS);
                engine.write(new LogBatch().append(g, entries(1, 20, g)).setHardState(g, new HardState(g, 0, 10)));
            }
            RocksGroupStorage doomed = engine.group(2).orElseThrow();
            engine.destroyGroup(2);

            assertThat(engine.groupIds()).containsExactly(1L, 3L);
            assertThatThrownBy(doomed::lastIndex).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("group 2 was destroyed");
            assertThatThrownBy(() -> engine.write(new LogBatch().append(2, entries(1, 1, 1))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("group 2");
        }
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            assertThat(engine.groupIds()).containsExactly(1L, 3L);
            for (long g : new long[] {1, 3}) {
                assertThat(engine.group(g).orElseThrow().entries(1, 21, NO_LIMIT)).containsExactlyElementsOf(entries(1, 20, g));
            }
            RocksGroupStorage reborn = engine.createGroup(2);
            assertThat(reborn.lastIndex()).as("a re-created group starts empty").isZero();
            assertThat(reborn.hardState()).isEqualTo(HardState.EMPTY);
        }
    }

    @Test
    void groupIdsMustBeNewAndNonNegative() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            engine.createGroup(1, MEMBERS);
            assertThatThrownBy(() -> engine.createGroup(1, MEMBERS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("group 1 already exists");
            assertThatThrownBy(() -> engine.createGroup(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(engine.group(9)).isEmpty();
        }
    }

    @Test
    void compactionRefusesIndexesOutsideTheLogOrBeyondCommit() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().append(1, entries(1, 10, 1)).setHardState(1, new HardState(1, 1, 8)));
            engine.compact(1, 4);

            assertThatThrownBy(() -> engine.compact(1, 4)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot compact to 4, outside the log [5,10]");
            assertThatThrownBy(() -> engine.compact(1, 11)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot compact to 11, outside the log [5,10]");
            assertThatThrownBy(() -> engine.compact(1, 9)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("beyond the persisted commit index 8");
            assertThat(s.firstIndex()).isEqualTo(5);
        }
    }

    @Test
    void compactionFoldsMembershipChangesIntoTheStoredMembership() {
        ConfChange addLearner = ConfChange.of(ConfChangeSingle.addLearner(4));
        ConfChange promote = ConfChange.of(ConfChangeSingle.addVoter(4));
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().append(1, List.of(
                    Entry.noOp(1, 1),
                    new Entry(1, 2, EntryType.CONF_CHANGE, addLearner.encode()),
                    Entry.normal(1, 3, new byte[] {1}),
                    new Entry(1, 4, EntryType.CONF_CHANGE, promote.encode()),
                    Entry.normal(1, 5, new byte[] {2}))).setHardState(1, new HardState(1, 1, 5)));

            engine.compact(1, 1);
            assertThat(s.confState()).as("no change up to 1").isEqualTo(MEMBERS);
            engine.compact(1, 3);
            assertThat(s.confState()).isEqualTo(new ConfState(Set.of(1L, 2L, 3L), Set.of(), Set.of(4L), false));
        }
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.group(1).orElseThrow();
            assertThat(s.initialState().confState()).isEqualTo(new ConfState(Set.of(1L, 2L, 3L), Set.of(), Set.of(4L), false));
            engine.compact(1, 5);
            assertThat(s.confState()).isEqualTo(ConfState.ofVoters(1L, 2L, 3L, 4L));
        }
    }

    @Test
    void aSnapshotOlderThanRequestedIsABugInTheSource() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.createGroup(1, MEMBERS);
            s.setSnapshotSource(i -> Optional.of(new Snapshot(new SnapshotMetadata(3, 1, MEMBERS), new byte[0])));
            assertThatThrownBy(() -> s.snapshot(7)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("snapshot at 3 for a request at 7");
        }
    }

    @Test
    void aSnapshotIsAskedForAtLeastTheLogsStartWhateverTheFollowerNeeds() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            RocksGroupStorage s = engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().installSnapshot(1, new SnapshotMetadata(40, 2, MEMBERS)));
            List<Long> asked = new ArrayList<>();
            s.setSnapshotSource(i -> {
                asked.add(i);
                return Optional.empty();
            });
            // A new replica needs everything (next = 1); an image older than 40 would leave it a gap.
            s.snapshot(0);
            s.snapshot(55);
            assertThat(asked).containsExactly(40L, 55L);
        }
    }

    @Test
    void aSnapshotNotAfterTheTruncationPointIsRefused() {
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            engine.createGroup(1, MEMBERS);
            engine.write(new LogBatch().installSnapshot(1, new SnapshotMetadata(10, 2, MEMBERS)));
            assertThatThrownBy(() -> engine.write(new LogBatch().installSnapshot(1, new SnapshotMetadata(10, 2, MEMBERS))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("snapshot at 10");
        }
    }
}

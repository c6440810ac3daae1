package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Restarting a replica from its storage, as a crashed server does. */
class RawNodeRestartTest {

    /** Persists and applies everything a lone replica hands out; returns the applied index. */
    private static long drain(RawNode node, MemoryLogStorage storage, long applied) {
        while (node.hasReady()) {
            Ready rd = node.ready();
            storage.append(rd.entries());
            if (rd.hardState() != null) {
                storage.setHardState(rd.hardState());
            }
            for (Entry e : rd.committedEntries()) {
                applied = e.index();
            }
            node.advance(rd);
        }
        return applied;
    }

    private static RawNode electedSingleVoter(MemoryLogStorage storage) {
        RaftConfig config = RaftConfig.defaults(1).withFeatures(false, false, false);
        RawNode node = new RawNode(config, storage, RandomSource.seeded(1));
        for (int i = 0; i < 2 * config.electionTicks() && node.status().role() != Role.LEADER; i++) {
            node.tick();
        }
        assertThat(node.status().role()).isEqualTo(Role.LEADER);
        return node;
    }

    /**
     * Found by the simulation (seed 6415261146449844789): a snapshot taken after a membership
     * change, with the log compacted only below it, made the restarted replica apply the change
     * a second time on top of the snapshot's membership and throw.
     */
    @Test
    void membershipChangeInRetainedTailBelowSnapshotIsNotReappliedOnRestart() {
        MemoryLogStorage storage = MemoryLogStorage.bootstrap(ConfState.ofVoters(1L));
        RawNode node = electedSingleVoter(storage);
        long applied = drain(node, storage, 0);
        assertThat(node.proposeConfChange(ConfChange.of(ConfChangeSingle.addLearner(2))).isAccepted()).isTrue();
        applied = drain(node, storage, applied);
        ProposeResult removal = node.proposeConfChange(ConfChange.of(ConfChangeSingle.remove(2)));
        assertThat(removal.isAccepted()).isTrue();
        long removalIndex = ((ProposeResult.Accepted) removal).index();
        applied = drain(node, storage, applied);
        node.propose(new byte[] {1});
        applied = drain(node, storage, applied);
        ConfState before = node.confState();
        assertThat(before.learners()).isEmpty();
        // Snapshot at the applied index but keep a tail that starts with the removal, whose
        // effect the snapshot's membership already holds.
        storage.createSnapshot(applied, before, new byte[] {42});
        storage.compact(removalIndex - 1);

        RawNode restarted = new RawNode(RaftConfig.defaults(1).withFeatures(false, false, false).withApplied(applied),
                storage, RandomSource.seeded(2));

        assertThat(restarted.confState()).isEqualTo(before);
    }
    /**
     * The commit index is written without a sync (Ready#mustSync), so a power cut may take it
     * back below what the state machine made durable. The restarted replica raises it to the
     * applied index, hands out nothing twice, and persists the raised commit in its first Ready.
     */
    @Test
    void aStateMachineAheadOfTheStoredCommitRaisesItAndTheFirstReadyPersistsIt() {
        MemoryLogStorage storage = MemoryLogStorage.bootstrap(ConfState.ofVoters(1L));
        RawNode node = electedSingleVoter(storage);
        long applied = drain(node, storage, 0);
        for (int i = 0; i < 5; i++) {
            node.propose(new byte[] {(byte) i});
        }
        applied = drain(node, storage, applied);
        HardState hs = storage.hardState();
        assertThat(hs.commit()).isEqualTo(applied);
        // The power cut: the last commit index written is lost, the state machine kept `applied`.
        storage.setHardState(new HardState(hs.term(), hs.vote(), applied - 3));

        RawNode restarted = new RawNode(RaftConfig.defaults(1).withFeatures(false, false, false).withApplied(applied),
                storage, RandomSource.seeded(2));
        assertThat(restarted.status().commit()).isEqualTo(applied);
        assertThat(restarted.hasReady()).isTrue();
        Ready rd = restarted.ready();
        assertThat(rd.hardState().commit()).isEqualTo(applied);
        assertThat(rd.mustSync()).as("a commit index alone").isFalse();
        assertThat(rd.committedEntries()).as("nothing applied twice").isEmpty();
    }

    @Test
    void aReadyMustSyncWhenItCommitsAMembershipChangeButNotForAPlainCommit() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        c.peer(2).readies.clear();
        c.propose(1, "x");
        c.stabilize();
        // Follower 2: the append (entries, synced), then the commit that the next message carries.
        assertThat(c.peer(2).readies).anySatisfy(rd -> {
            assertThat(rd.entries()).isEmpty();
            assertThat(rd.hardState()).isNotNull();
            assertThat(rd.mustSync()).as("only the commit index moved").isFalse();
        });

        c.peer(2).readies.clear();
        assertThat(c.node(1).proposeConfChange(ConfChange.of(ConfChangeSingle.addLearner(4))).isAccepted()).isTrue();
        c.stabilize();
        assertThat(c.peer(2).readies).filteredOn(rd -> rd.entries().isEmpty() && rd.hardState() != null)
                .isNotEmpty().allSatisfy(rd -> assertThat(rd.mustSync()).as("it commits the change").isTrue());
    }
}

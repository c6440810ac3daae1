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
}

package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A replica added to a running group starts with an empty log and must be caught up. */
class AddReplicaTest {

    private final LocalGroup group = new LocalGroup();

    /**
     * Found by the simulation (seed 8252545385105775876): the initial membership lived in a
     * snapshot at index 0, so the leader shipped a new replica the log from index 1 instead of a
     * snapshot, and the replica applied the log's membership changes to an empty membership.
     */
    @Test
    void replicaAddedWithEmptyLogLearnsTheMembershipBeforeApplyingChanges() {
        group.add(1, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L)));
        RawNode leader = group.elect(1);
        group.add(2, new MemoryLogStorage());
        assertThat(leader.proposeConfChange(ConfChange.of(ConfChangeSingle.addLearner(2))).isAccepted()).isTrue();
        group.settle();
        group.add(3, new MemoryLogStorage());
        assertThat(leader.proposeConfChange(ConfChange.of(ConfChangeSingle.addLearner(3))).isAccepted()).isTrue();
        group.settle();
        leader.tick();
        leader.tick();
        group.settle();

        ConfState expected = new ConfState(Set.of(1L), Set.of(), Set.of(2L, 3L), false);
        assertThat(leader.confState()).isEqualTo(expected);
        assertThat(group.node(2).confState()).isEqualTo(expected);
        assertThat(group.node(3).confState()).isEqualTo(expected);
        assertThat(group.node(3).status().commit()).isEqualTo(leader.status().commit());
    }
}

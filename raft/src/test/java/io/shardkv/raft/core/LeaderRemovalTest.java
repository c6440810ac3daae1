package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import io.shardkv.raft.storage.MemoryLogStorage;
import org.junit.jupiter.api.Test;

/** A leader that removes itself (directly, or by moving its replica in a joint change). */
class LeaderRemovalTest {

    private static LocalGroup threeVoters() {
        LocalGroup group = new LocalGroup();
        for (long id = 1; id <= 3; id++) {
            group.add(id, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L, 3L)));
        }
        return group;
    }

    /**
     * Settles, then ticks every replica for a few election timeouts: a TimeoutNow that reaches
     * its target before the target applied the change is declined, and the target then campaigns
     * when its own election timer fires.
     */
    private static void handOver(LocalGroup group, RawNode leader) {
        group.settle();
        for (int i = 0; i < 60; i++) {
            for (RawNode n : group.nodes.values()) {
                n.tick();
            }
            group.settle();
        }
    }

    /**
     * Found by the simulation (seed -8923692863936065161): a leader moved out by a joint change
     * committed the leave-joint entry, stepped down and kept entries nobody else had. The others,
     * still joint, needed its vote, which it refused them for their shorter logs, and it never
     * campaigned, no longer being a member. Now it hands leadership to a caught-up member.
     */
    @Test
    void leaderMovedOutByJointChangeHandsLeadershipToTheNewConfiguration() {
        LocalGroup group = threeVoters();
        RawNode leader = group.elect(1);
        group.add(4, new MemoryLogStorage());
        ConfChange move = ConfChange.of(ConfChangeSingle.addVoter(4), ConfChangeSingle.remove(1));
        assertThat(leader.proposeConfChange(move).isAccepted()).isTrue();
        handOver(group, leader);

        assertThat(leader.confState().voters()).containsExactlyInAnyOrder(2L, 3L, 4L);
        assertThat(leader.status().role()).isEqualTo(Role.FOLLOWER);
        long newLeader = group.node(2).status().leaderId();
        assertThat(newLeader).isIn(2L, 3L, 4L);
        assertThat(group.node(newLeader).status().role()).isEqualTo(Role.LEADER);
        assertThat(group.node(newLeader).confState().isJoint()).isFalse();
    }

    /**
     * The removed leader of a two-voter group holds an entry the other lacks, and its news that
     * the removal committed is lost: the other voter, still needing its vote, could never be
     * elected if it just stepped down.
     */
    @Test
    void removedLeaderHoldingTheOnlyCopyOfAnEntryStillLetsTheRestElect() {
        LocalGroup group = new LocalGroup();
        group.add(1, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L)));
        group.add(2, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L)));
        RawNode leader = group.elect(1);
        ProposeResult removal = leader.proposeConfChange(ConfChange.of(ConfChangeSingle.remove(1)));
        long r = ((ProposeResult.Accepted) removal).index();
        assertThat(leader.propose(new byte[] {7}).isAccepted()).isTrue();
        boolean[] lost = new boolean[2];
        group.setLoss(m -> {
            if (m.from() != 1 || m.to() != 2 || m.type() != MessageType.APPEND) {
                return false;
            }
            boolean carriesNext = m.entries().stream().anyMatch(e -> e.index() == r + 1);
            if (carriesNext && !lost[0]) {
                lost[0] = true;
                return true;
            }
            if (m.commit() >= r && !lost[1]) {
                lost[1] = true;
                return true;
            }
            return false;
        });
        handOver(group, leader);

        assertThat(lost[0] && lost[1]).isTrue();
        assertThat(group.node(2).status().role()).isEqualTo(Role.LEADER);
        assertThat(group.node(2).confState().voters()).containsExactly(2L);
        assertThat(group.node(2).status().commit()).isGreaterThan(r);
    }

    /**
     * Found by the simulation (seed -7881251429941760915): as above, but the removed leader
     * crashes before handing over and restarts as a follower that is no longer a member. It must
     * not just refuse the members that need its vote: it takes over to hand over.
     */
    @Test
    void removedLeaderThatCrashedBeforeHandingOverStillLetsTheRestElect() {
        LocalGroup group = new LocalGroup();
        // One entry per append: the removal and the entry proposed with it travel apart.
        group.add(1, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L)),
                c -> c.withLimits(1, 256, 64L << 20, 256L << 20));
        group.add(2, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L)));
        RawNode leader = group.elect(1);
        ProposeResult removal = leader.proposeConfChange(ConfChange.of(ConfChangeSingle.remove(1)));
        long r = ((ProposeResult.Accepted) removal).index();
        assertThat(leader.propose(new byte[] {7}).isAccepted()).isTrue();
        // Node 2 gets the removal, but neither the entry after it nor the news that it committed.
        group.setLoss(m -> m.from() == 1 && m.to() == 2 && m.type() == MessageType.APPEND
                && (m.commit() >= r || m.entries().stream().anyMatch(e -> e.index() > r)));
        group.settle();
        assertThat(leader.confState().voters()).containsExactly(2L);
        assertThat(group.node(2).status().commit()).isLessThan(r);
        group.add(1, group.disks.get(1L)); // crash and restart from the disk
        group.setLoss(m -> false);
        handOver(group, group.node(1));

        assertThat(group.node(2).status().role()).isEqualTo(Role.LEADER);
        assertThat(group.node(2).confState().voters()).containsExactly(2L);
        assertThat(group.node(1).status().role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void removedLeaderRefusesProposalsWhileHandingOver() {
        LocalGroup group = threeVoters();
        RawNode leader = group.elect(1);
        assertThat(leader.proposeConfChange(ConfChange.of(ConfChangeSingle.remove(1))).isAccepted()).isTrue();
        handOver(group, leader);

        long newLeader = group.node(2).status().leaderId();
        assertThat(newLeader).isIn(2L, 3L);
        assertThat(leader.status().role()).isEqualTo(Role.FOLLOWER);
        assertThat(leader.propose(new byte[] {1}).isAccepted()).isFalse();
        assertThat(group.node(newLeader).propose(new byte[] {1}).isAccepted()).isTrue();
    }
}

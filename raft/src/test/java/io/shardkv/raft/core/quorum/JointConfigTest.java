package io.shardkv.raft.core.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JointConfigTest {

    @Test
    void withEmptyOutgoingHalfBehavesLikeIncomingAlone() {
        JointConfig simple = JointConfig.of(Set.of(1L, 2L, 3L), Set.of());
        MajorityConfig incoming = new MajorityConfig(Set.of(1L, 2L, 3L));
        assertThat(simple.isJoint()).isFalse();
        AckedIndexer acked = id -> id * 3;
        assertThat(simple.committedIndex(acked)).isEqualTo(incoming.committedIndex(acked)).isEqualTo(6);
        Map<Long, Boolean> votes = Map.of(1L, true, 2L, false);
        assertThat(simple.voteResult(votes)).isEqualTo(incoming.voteResult(votes)).isEqualTo(VoteResult.PENDING);
    }

    @Test
    void committedIndexIsTheMinimumOfBothHalves() {
        // Moving voter 3 to voter 4: incoming {1,2,4}, outgoing {1,2,3}.
        JointConfig joint = JointConfig.of(Set.of(1L, 2L, 4L), Set.of(1L, 2L, 3L));
        assertThat(joint.isJoint()).isTrue();
        Map<Long, Long> acked = Map.of(1L, 10L, 2L, 4L, 3L, 9L, 4L, 2L);
        // incoming: 10, 4, 2 -> 4; outgoing: 10, 4, 9 -> 9.
        assertThat(joint.committedIndex(acked::get)).isEqualTo(4);
        Map<Long, Long> acked2 = Map.of(1L, 10L, 2L, 1L, 3L, 2L, 4L, 8L);
        // incoming: 10, 1, 8 -> 8; outgoing: 10, 1, 2 -> 2.
        assertThat(joint.committedIndex(acked2::get)).isEqualTo(2);
    }

    @Test
    void voteResultCombinesHalves() {
        JointConfig joint = JointConfig.of(Set.of(1L, 2L, 3L), Set.of(4L, 5L, 6L));
        assertThat(joint.voteResult(votes(1, 2, 4, 5))).as("won + won").isEqualTo(VoteResult.WON);
        assertThat(joint.voteResult(votes(1, 2, 4))).as("won + pending").isEqualTo(VoteResult.PENDING);
        assertThat(joint.voteResult(votes(1, 2, 4, -5, -6))).as("won + lost").isEqualTo(VoteResult.LOST);
        assertThat(joint.voteResult(votes(1, -2, -3, 4))).as("lost + pending").isEqualTo(VoteResult.LOST);
        assertThat(joint.voteResult(votes(1, 4))).as("pending + pending").isEqualTo(VoteResult.PENDING);
        assertThat(joint.voteResult(votes(-1, -2, -4, -5))).as("lost + lost").isEqualTo(VoteResult.LOST);
    }

    @Test
    void overlappingHalvesCountASharedVoterInBoth() {
        JointConfig joint = JointConfig.of(Set.of(1L, 2L, 4L), Set.of(1L, 2L, 3L));
        assertThat(joint.voteResult(votes(1, 2))).isEqualTo(VoteResult.WON);
        assertThat(joint.voteResult(votes(1, 4, -2))).as("outgoing half lacks a majority").isEqualTo(VoteResult.PENDING);
        assertThat(joint.voteResult(votes(1, 4, -2, -3))).isEqualTo(VoteResult.LOST);
    }

    @Test
    void idsAndIsVoterCoverBothHalves() {
        JointConfig joint = JointConfig.of(Set.of(1L, 2L, 4L), Set.of(1L, 2L, 3L));
        assertThat(joint.ids()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(joint.isVoter(3)).isTrue();
        assertThat(joint.isVoter(4)).isTrue();
        assertThat(joint.isVoter(5)).isFalse();
    }

    /** Positive ids granted, negative ids rejected. */
    private static Map<Long, Boolean> votes(long... signed) {
        Map<Long, Boolean> votes = new HashMap<>();
        for (long v : signed) {
            votes.put(Math.abs(v), v > 0);
        }
        return votes;
    }
}

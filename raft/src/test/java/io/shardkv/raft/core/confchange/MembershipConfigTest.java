package io.shardkv.raft.core.confchange;

import static io.shardkv.raft.core.confchange.ConfChangeSingle.addLearner;
import static io.shardkv.raft.core.confchange.ConfChangeSingle.addVoter;
import static io.shardkv.raft.core.confchange.ConfChangeSingle.remove;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.quorum.JointConfig;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MembershipConfigTest {

    private static final MembershipConfig THREE = MembershipConfig.fromConfState(ConfState.ofVoters(1L, 2L, 3L));

    private static MembershipConfig applied(MembershipConfig from, ConfChange cc) {
        MembershipConfig.ChangeResult result = from.apply(cc);
        assertThat(result).as("applying %s to %s", cc, from).isInstanceOf(MembershipConfig.ChangeResult.Applied.class);
        return ((MembershipConfig.ChangeResult.Applied) result).config();
    }

    private static String invalidReason(MembershipConfig from, ConfChange cc) {
        MembershipConfig.ChangeResult result = from.apply(cc);
        assertThat(result).as("applying %s to %s", cc, from).isInstanceOf(MembershipConfig.ChangeResult.Invalid.class);
        return ((MembershipConfig.ChangeResult.Invalid) result).reason();
    }

    @Test
    void addVoterIsASimpleChange() {
        MembershipConfig next = applied(THREE, ConfChange.of(addVoter(4)));
        assertThat(next.isJoint()).isFalse();
        assertThat(next.voters().incoming().voters()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(next.autoLeave()).isFalse();
        assertThat(THREE.voters().incoming().voters()).as("the original is immutable").hasSize(3);
    }

    @Test
    void addLearnerAndPromoteIt() {
        MembershipConfig withLearner = applied(THREE, ConfChange.of(addLearner(4)));
        assertThat(withLearner.learners()).containsExactly(4L);
        assertThat(withLearner.isVoter(4)).isFalse();
        assertThat(withLearner.isMember(4)).isTrue();
        assertThat(withLearner.members()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);

        MembershipConfig promoted = applied(withLearner, ConfChange.of(addVoter(4)));
        assertThat(promoted.learners()).isEmpty();
        assertThat(promoted.isVoter(4)).isTrue();
        assertThat(promoted.isJoint()).isFalse();
    }

    @Test
    void removeVoterAndLearner() {
        MembershipConfig withLearner = applied(THREE, ConfChange.of(addLearner(4)));
        MembershipConfig noLearner = applied(withLearner, ConfChange.of(remove(4)));
        assertThat(noLearner.learners()).isEmpty();
        MembershipConfig two = applied(noLearner, ConfChange.of(remove(3)));
        assertThat(two.voters().ids()).containsExactlyInAnyOrder(1L, 2L);
        assertThat(two.isMember(3)).isFalse();
    }

    @Test
    void addingAnExistingMemberAgainIsHarmless() {
        MembershipConfig same = applied(THREE, ConfChange.of(addVoter(2)));
        assertThat(same).isEqualTo(THREE);
    }

    @Test
    void severalStepsEnterAJointConfigurationWithAutoLeave() {
        // Move the replica on node 3 to node 4 in one request.
        MembershipConfig joint = applied(THREE, ConfChange.of(addVoter(4), remove(3)));
        assertThat(joint.isJoint()).isTrue();
        assertThat(joint.autoLeave()).isTrue();
        assertThat(joint.voters().incoming().voters()).containsExactlyInAnyOrder(1L, 2L, 4L);
        assertThat(joint.voters().outgoing().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(joint.isVoter(3)).as("the removed voter still votes in the outgoing half").isTrue();

        ConfState cs = joint.toConfState();
        assertThat(cs.isJoint()).isTrue();
        assertThat(cs.autoLeave()).isTrue();
        assertThat(MembershipConfig.fromConfState(cs)).isEqualTo(joint);
    }

    @Test
    void leavingJointKeepsTheIncomingHalfAndLearners() {
        MembershipConfig joint = applied(THREE, ConfChange.of(addVoter(4), remove(3), addLearner(5)));
        MembershipConfig left = applied(joint, ConfChange.leaveJoint());
        assertThat(left.isJoint()).isFalse();
        assertThat(left.autoLeave()).isFalse();
        assertThat(left.voters().ids()).containsExactlyInAnyOrder(1L, 2L, 4L);
        assertThat(left.learners()).containsExactly(5L);
        assertThat(left.isMember(3)).isFalse();
    }

    @Test
    void promotingALearnerInAJointChange() {
        MembershipConfig withLearner = applied(THREE, ConfChange.of(addLearner(4)));
        MembershipConfig joint = applied(withLearner, ConfChange.of(addVoter(4), remove(1)));
        assertThat(joint.learners()).isEmpty();
        assertThat(joint.voters().incoming().voters()).containsExactlyInAnyOrder(2L, 3L, 4L);
        assertThat(joint.voters().outgoing().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    void demotionIsRefused() {
        assertThat(invalidReason(THREE, ConfChange.of(addLearner(2)))).contains("demotion");
    }

    @Test
    void removingANonMemberIsRefused() {
        assertThat(invalidReason(THREE, ConfChange.of(remove(9)))).contains("not a member");
    }

    @Test
    void leavingNoVotersIsRefused() {
        MembershipConfig one = MembershipConfig.fromConfState(ConfState.ofVoters(1L));
        assertThat(invalidReason(one, ConfChange.of(remove(1)))).contains("no voters");
        assertThat(invalidReason(THREE, ConfChange.of(remove(1), remove(2), remove(3)))).contains("no voters");
    }

    @Test
    void theSameNodeTwiceInOneChangeIsRefused() {
        assertThat(invalidReason(THREE, ConfChange.of(remove(3), addLearner(3)))).contains("twice");
    }

    @Test
    void aChangeWhileJointIsRefused() {
        MembershipConfig joint = applied(THREE, ConfChange.of(addVoter(4), remove(3)));
        assertThat(invalidReason(joint, ConfChange.of(addVoter(5)))).contains("joint");
        assertThat(invalidReason(joint, ConfChange.of(addLearner(5), addLearner(6)))).contains("joint");
    }

    @Test
    void leavingJointOutsideJointIsRefused() {
        assertThat(invalidReason(THREE, ConfChange.leaveJoint())).contains("not in a joint");
    }

    @Test
    void aSimpleChangeNeverAltersTwoVoters() {
        // One step can change at most one voter, so the "two voters in a simple change" rule can
        // only be reached by several steps, and several steps always go through a joint
        // configuration. Check that two voter changes never take effect in one step.
        MembershipConfig twoVoterChange = applied(THREE, ConfChange.of(addVoter(4), addVoter(5)));
        assertThat(twoVoterChange.isJoint()).isTrue();
        assertThat(twoVoterChange.voters().outgoing().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    void learnerAndVoterAtOnceIsAnInvariantViolation() {
        assertThatThrownBy(() -> new MembershipConfig(JointConfig.of(Set.of(1L, 2L), Set.of()), Set.of(2L), false))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new MembershipConfig(JointConfig.of(Set.of(1L, 2L), Set.of()), Set.of(), true))
                .as("autoLeave outside a joint config").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void confStateRoundTrip() {
        MembershipConfig withLearner = applied(THREE, ConfChange.of(addLearner(7)));
        ConfState cs = withLearner.toConfState();
        assertThat(cs.voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(cs.learners()).containsExactly(7L);
        assertThat(cs.isJoint()).isFalse();
        assertThat(MembershipConfig.fromConfState(cs)).isEqualTo(withLearner);
    }
}

package io.shardkv.raft.core.confchange;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.quorum.JointConfig;
import io.shardkv.raft.core.quorum.MajorityConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The membership of a group: voters (possibly joint) and learners. Immutable; applying a change
 * yields a new configuration or a reason why the change is invalid. The same pure function is
 * used by the core when a change is applied and by applications that track membership beside
 * their state machine.
 *
 * <p>Invariant: a learner is never a voter of either half.
 */
public record MembershipConfig(JointConfig voters, Set<Long> learners, boolean autoLeave) {

    public MembershipConfig {
        learners = Set.copyOf(learners);
        for (long id : learners) {
            if (voters.isVoter(id)) {
                throw new IllegalStateException("node " + id + " is both learner and voter");
            }
        }
        if (autoLeave && !voters.isJoint()) {
            throw new IllegalStateException("autoLeave set outside a joint configuration");
        }
    }

    public static MembershipConfig fromConfState(ConfState cs) {
        return new MembershipConfig(JointConfig.of(cs.voters(), cs.votersOutgoing()), cs.learners(),
                cs.autoLeave() && cs.isJoint());
    }

    public ConfState toConfState() {
        return new ConfState(voters.incoming().voters(), voters.outgoing().voters(), learners, autoLeave);
    }

    public boolean isJoint() {
        return voters.isJoint();
    }

    public boolean isVoter(long id) {
        return voters.isVoter(id);
    }

    public boolean isMember(long id) {
        return isVoter(id) || learners.contains(id);
    }

    /** Voters and learners. */
    public Set<Long> members() {
        Set<Long> ids = voters.ids();
        ids.addAll(learners);
        return ids;
    }

    /** Outcome of applying a change. */
    public sealed interface ChangeResult {
        record Applied(MembershipConfig config) implements ChangeResult {
        }

        record Invalid(String reason) implements ChangeResult {
        }
    }

    /** Applies {@code cc} following the rules in {@link ConfChange}. */
    public ChangeResult apply(ConfChange cc) {
        if (cc.isLeaveJoint()) {
            if (!isJoint()) {
                return new ChangeResult.Invalid("not in a joint configuration");
            }
            return new ChangeResult.Applied(new MembershipConfig(
                    new JointConfig(voters.incoming(), MajorityConfig.EMPTY), learners, false));
        }
        if (isJoint()) {
            return new ChangeResult.Invalid("a joint configuration must be left before the next change");
        }
        Set<Long> in = new HashSet<>(voters.incoming().voters());
        Set<Long> newLearners = new HashSet<>(learners);
        Set<Long> touched = new HashSet<>();
        for (ConfChangeSingle step : cc.changes()) {
            long id = step.nodeId();
            if (!touched.add(id)) {
                return new ChangeResult.Invalid("node " + id + " appears twice in one change");
            }
            switch (step.type()) {
                case ADD_VOTER -> {
                    newLearners.remove(id);
                    in.add(id);
                }
                case ADD_LEARNER -> {
                    if (in.contains(id)) {
                        return new ChangeResult.Invalid("node " + id + " is a voter; demotion is not supported");
                    }
                    newLearners.add(id);
                }
                case REMOVE_NODE -> {
                    if (!in.contains(id) && !newLearners.contains(id)) {
                        return new ChangeResult.Invalid("node " + id + " is not a member");
                    }
                    in.remove(id);
                    newLearners.remove(id);
                }
            }
        }
        if (in.isEmpty()) {
            return new ChangeResult.Invalid("the change would leave no voters");
        }
        Set<Long> oldVoters = voters.incoming().voters();
        if (cc.changes().size() == 1) {
            int changedVoters = symmetricDifferenceSize(oldVoters, in);
            if (changedVoters > 1) {
                return new ChangeResult.Invalid("a simple change may alter at most one voter");
            }
            return new ChangeResult.Applied(new MembershipConfig(JointConfig.of(in, Set.of()), newLearners, false));
        }
        // Several steps: both the old and the new voters must agree until the leader leaves the
        // joint configuration. A node removed as a voter stays in the outgoing half meanwhile.
        return new ChangeResult.Applied(new MembershipConfig(JointConfig.of(in, oldVoters), newLearners, true));
    }

    /**
     * Applies a change that is already committed at {@code index}. Only one change is in flight
     * at a time and each is validated when proposed, so an invalid committed change is a bug.
     *
     * @throws IllegalStateException if the change does not apply, naming the index and reason
     */
    public MembershipConfig applyCommitted(ConfChange cc, long index) {
        ChangeResult result = apply(cc);
        if (result instanceof ChangeResult.Invalid invalid) {
            throw new IllegalStateException("committed membership change at " + index + " is invalid against "
                    + this + ": " + invalid.reason());
        }
        return ((ChangeResult.Applied) result).config();
    }

    /**
     * Applies the committed membership changes among {@code entries}, in order; other entries
     * change nothing. The one way a membership is replayed from a log: on restart by the core,
     * by the applier as it applies, and by the log engine when it folds changes into the stored
     * membership at compaction.
     *
     * @return this object when no entry is a membership change
     * @throws IllegalStateException if a change does not apply (see {@link #applyCommitted})
     */
    public MembershipConfig applyCommittedEntries(List<Entry> entries) {
        MembershipConfig config = this;
        for (Entry e : entries) {
            if (e.type() == EntryType.CONF_CHANGE) {
                config = config.applyCommitted(ConfChange.decode(e.data()), e.index());
            }
        }
        return config;
    }

    private static int symmetricDifferenceSize(Set<Long> a, Set<Long> b) {
        int n = 0;
        for (long id : a) {
            if (!b.contains(id)) {
                n++;
            }
        }
        for (long id : b) {
            if (!a.contains(id)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "voters=" + voters.incoming() + (isJoint() ? "&&" + voters.outgoing() : "")
                + " learners=" + new TreeSet<>(learners) + (autoLeave ? " autoLeave" : "");
    }
}

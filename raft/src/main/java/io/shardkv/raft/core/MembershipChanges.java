package io.shardkv.raft.core;

import static io.shardkv.raft.core.RawNode.NONE;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.MembershipConfig;
import io.shardkv.raft.core.log.RaftLog;
import io.shardkv.raft.core.tracker.Progress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Membership changes: admitting one change at a time, switching to a new configuration when its
 * entry is applied (progress for new members, learners promoted or demoted, joint configurations
 * left automatically), replaying applied changes after a restart, and the hand-over of a leader
 * that applied its own removal.
 *
 * <p>Kept apart from {@link Raft} because these rules span the whole life of a change, from
 * proposal to apply, and touch replication and leadership transfer, while {@link Raft} only
 * needs to know whether a change is still unapplied before it campaigns. It holds no state: the
 * configuration in force is {@link Raft#membership()}, the change in flight
 * {@link LeaderState#pendingConfIndex}.
 */
final class MembershipChanges {
    private final Raft raft;

    MembershipChanges(Raft raft) {
        this.raft = raft;
    }

    /** Re-applies membership changes the state machine had already applied before a restart. */
    void replayConfChanges(long from, long to) {
        for (long i = from; i <= to; ) {
            List<Entry> batch = raft.log.slice(i, to + 1, raft.config().maxCommittedBytesPerReady());
            raft.setMembership(raft.membership().applyCommittedEntries(batch));
            i += batch.size();
        }
    }

    ProposeResult proposeConfChange(ConfChange cc) {
        RaftLog log = raft.log;
        LeaderState leader = raft.leaderStateOrNull();
        if (leader != null && leader.pendingConfIndex > log.applied()) {
            return new ProposeResult.Dropped(DropReason.CONF_CHANGE_PENDING, raft.id(),
                    "membership change at index " + leader.pendingConfIndex + " not applied yet (applied "
                            + log.applied() + ")");
        }
        if (leader != null && raft.membership().apply(cc) instanceof MembershipConfig.ChangeResult.Invalid invalid) {
            return new ProposeResult.Dropped(DropReason.INVALID_CONF_CHANGE, raft.id(), invalid.reason());
        }
        ProposeResult result = raft.proposeEntry(new Entry(0, 0, EntryType.CONF_CHANGE, cc.encode()));
        if (result instanceof ProposeResult.Accepted accepted) {
            leader.pendingConfIndex = accepted.index();
        }
        return result;
    }

    /** Whether a committed entry not yet applied is a membership change. */
    boolean hasUnappliedConfChange() {
        RaftLog log = raft.log;
        long lo = log.applied() + 1;
        long hi = log.committed() + 1;
        if (lo >= hi) {
            return false;
        }
        for (long i = Math.max(lo, log.firstIndex()); i < hi; ) {
            List<Entry> batch = log.slice(i, hi, raft.config().maxCommittedBytesPerReady());
            for (Entry e : batch) {
                if (e.type() == EntryType.CONF_CHANGE) {
                    return true;
                }
            }
            i += batch.size();
        }
        return false;
    }

    /**
     * The owner applied {@code entries} (the applied index already covers them): switch to each
     * membership change among them, then, as leader, leave a joint configuration that asks for it.
     */
    void applyConfChanges(List<Entry> entries) {
        for (Entry e : entries) {
            if (e.type() == EntryType.CONF_CHANGE) {
                switchToConfig(raft.membership().applyCommitted(ConfChange.decode(e.data()), e.index()));
            }
        }
        LeaderState leader = raft.leaderStateOrNull();
        if (leader != null && raft.membership().autoLeave() && leader.pendingConfIndex <= raft.log.applied()) {
            // The joint configuration is in force everywhere it needs to be: leave it.
            Entry leave = new Entry(0, 0, EntryType.CONF_CHANGE, ConfChange.leaveJoint().encode());
            raft.replication.appendEntries(List.of(leave));
            leader.pendingConfIndex = raft.log.lastIndex();
            raft.replication.broadcastAppend();
        }
    }

    private void switchToConfig(MembershipConfig next) {
        raft.setMembership(next);
        LeaderState leader = raft.leaderStateOrNull();
        if (leader == null) {
            return;
        }
        RaftConfig config = raft.config();
        long last = raft.log.lastIndex();
        Map<Long, Progress> updated = new HashMap<>();
        for (long member : next.members()) {
            Progress pr = leader.progress.get(member);
            boolean learner = next.learners().contains(member);
            if (pr == null) {
                pr = raft.newProgress(member, last);
            } else if (pr.isLearner() != learner) {
                pr = pr.withLearner(learner, config.maxInflightMsgs(), config.maxInflightBytes());
            }
            updated.put(member, pr);
        }
        leader.progress.clear();
        leader.progress.putAll(updated);
        leader.ackedHeartbeatStamp.keySet().retainAll(updated.keySet());
        Replication replication = raft.replication;
        if (replication.maybeCommit(leader)) {
            replication.broadcastAppend();
        } else {
            for (long member : updated.keySet()) {
                if (member != raft.id()) {
                    replication.maybeSendAppend(leader, member, false);
                }
            }
        }
        if (leader.transferee != NONE && !next.isVoter(leader.transferee)) {
            raft.leadershipTransfer.abortLeaderTransfer(leader);
        }
        if (!next.isMember(raft.id())) {
            handOver(leader);
        }
    }

    /**
     * A leader that applied its own removal hands leadership to the most up-to-date voter of the
     * new configuration (catch it up, then TimeoutNow, then step down) instead of stepping down at
     * once. The other members may not know yet that the change committed; those still in the
     * previous (possibly joint) configuration then need this replica's vote to elect anyone, and
     * it would refuse every candidate lacking entries only it holds, while, no longer a member, it
     * never campaigns itself: the group would stall for good. It accepts no proposals meanwhile,
     * and retries, possibly with another target, if a transfer is abandoned.
     */
    void handOver(LeaderState leader) {
        long id = raft.id();
        long best = NONE;
        long bestMatch = -1;
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            long member = e.getKey();
            Progress pr = e.getValue();
            if (member == id || !raft.membership().voters().incoming().voters().contains(member)) {
                continue;
            }
            long rank = pr.recentActive() ? pr.match() : pr.match() - raft.log.lastIndex() - 1;
            if (rank > bestMatch || (rank == bestMatch && member < best)) {
                best = member;
                bestMatch = rank;
            }
        }
        if (best != NONE) {
            raft.leadershipTransfer.handleTransferLeader(leader, best);
        }
    }
}

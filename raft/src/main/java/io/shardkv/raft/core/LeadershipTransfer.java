package io.shardkv.raft.core;

import static io.shardkv.raft.core.RawNode.NONE;

import io.shardkv.raft.core.tracker.Progress;

/**
 * Leadership transfer (thesis 3.10): the leader stops taking proposals, catches the target up,
 * then sends it TimeoutNow so it campaigns at once, without waiting out the followers' leases.
 * A follower forwards a transfer request to its leader; a transfer not done within an election
 * timeout is abandoned (see {@link Raft}'s leader tick).
 *
 * <p>Kept apart from {@link Raft} since it is its own small protocol on top of replication: the
 * target's catch-up goes through {@link Replication}, which calls back {@link #sendTimeoutNow}
 * once the target holds the whole log. It holds no state: the transfer in progress lives in
 * {@link LeaderState#transferee}.
 */
final class LeadershipTransfer {
    private final Raft raft;

    LeadershipTransfer(Raft raft) {
        this.raft = raft;
    }

    ProposeResult transferLeader(long target) {
        raft.wake();
        LeaderState self = raft.leaderStateOrNull();
        if (self != null) {
            return handleTransferLeader(self, target);
        }
        long leader = raft.leaderId();
        if (leader == NONE) {
            return new ProposeResult.Dropped(DropReason.NO_LEADER, NONE, "");
        }
        raft.send(Message.builder(MessageType.TRANSFER_LEADER).to(leader).term(raft.term()).index(target).build());
        return new ProposeResult.Accepted(raft.term(), 0);
    }

    ProposeResult handleTransferLeader(LeaderState leader, long target) {
        long id = raft.id();
        Progress pr = leader.progress.get(target);
        if (pr == null || pr.isLearner()) {
            return new ProposeResult.Dropped(DropReason.TRANSFER_TARGET_NOT_VOTER, id,
                    "transfer target " + target + " is not a voter");
        }
        if (target == id) {
            return new ProposeResult.Accepted(raft.term(), 0);
        }
        if (leader.transferee == target) {
            return new ProposeResult.Accepted(raft.term(), 0);
        }
        leader.transferee = target;
        leader.transferElapsedTicks = 0;
        if (pr.match() == raft.log.lastIndex()) {
            sendTimeoutNow(leader, target);
        } else {
            raft.replication.maybeSendAppend(leader, target, true);
        }
        return new ProposeResult.Accepted(raft.term(), 0);
    }

    /** The target holds the whole log: tell it to campaign now. */
    void sendTimeoutNow(LeaderState leader, long to) {
        leader.timeoutNowSent = true;
        raft.send(Message.builder(MessageType.TIMEOUT_NOW).to(to).term(raft.term()).build());
        if (!raft.membership().isMember(raft.id())) {
            // A removed leader's hand-over is done: the target holds our whole log, so it can be
            // elected (with our vote if needed) even if this TimeoutNow is lost or declined.
            raft.becomeFollower(raft.term(), NONE);
        }
    }

    void abortLeaderTransfer(LeaderState leader) {
        leader.transferee = NONE;
        leader.transferElapsedTicks = 0;
    }
}

package io.shardkv.raft.core;

import static io.shardkv.raft.core.RawNode.NONE;

import io.shardkv.raft.core.log.RaftLog;
import io.shardkv.raft.core.tracker.Progress;
import io.shardkv.raft.core.tracker.ProgressState;
import java.util.Map;

/**
 * Quiescence: an idle group stops ticking, so thousands of idle groups on a server cost no
 * heartbeats. The leader decides, tells every member with a QUIESCE message, and stops; any
 * message (other than QUIESCE), proposal or read wakes a replica again.
 *
 * <p>Kept apart from {@link Raft} because it is an optimisation with its own conditions and its
 * own flag; {@link Raft} only asks whether to tick at all and wakes the replica on input.
 */
final class Quiescence {
    private final Raft raft;
    /**
     * Whether this replica stopped ticking. Invariant: a leader only sets it when every member
     * held and knew its whole committed log with nothing else pending (see {@link #maybeQuiesce});
     * a follower only when its log ends exactly where the leader's did.
     */
    private boolean quiesced;

    Quiescence(Raft raft) {
        this.raft = raft;
    }

    boolean isQuiesced() {
        return quiesced;
    }

    /**
     * An idle group stops ticking: every member holds and knows the whole committed log, nothing
     * is in flight, and no membership change, transfer or read is pending. Returns whether it
     * quiesced.
     */
    boolean maybeQuiesce(LeaderState leader) {
        if (!raft.config().quiesce() || quiesced) {
            return false;
        }
        RaftLog log = raft.log;
        long last = log.lastIndex();
        if (log.committed() != last || log.applied() != last || raft.membership().isJoint()
                || leader.transferee != NONE || !leader.reads.isEmpty() || !leader.readsBeforeFirstCommit.isEmpty()) {
            return false;
        }
        long id = raft.id();
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            Progress pr = e.getValue();
            if (e.getKey() != id && (pr.match() != last || pr.state() != ProgressState.REPLICATE
                    || pr.inflights().count() > 0 || !pr.recentActive())) {
                return false;
            }
        }
        long lastTerm = log.lastTerm();
        for (long member : leader.progress.keySet()) {
            if (member != id) {
                raft.send(Message.builder(MessageType.QUIESCE).to(member).term(raft.term()).index(last)
                        .logTerm(lastTerm).commit(log.committed()).build());
            }
        }
        quiesced = true;
        return true;
    }

    /**
     * Resumes ticking. A leader forgets the evidence behind its lease, which is stale after a
     * pause; a follower restarts its election timer.
     */
    void wake() {
        if (!quiesced) {
            return;
        }
        quiesced = false;
        raft.restartTimers();
        LeaderState leader = raft.leaderStateOrNull();
        if (leader != null) {
            leader.ackedHeartbeatStamp.clear();
            for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
                if (e.getKey() != raft.id()) {
                    e.getValue().clearRecentActive();
                }
            }
        }
    }

    /** A follower quiesces along with its leader if its log ends exactly where the leader's does. */
    void handleQuiesce(Message m) {
        RaftLog log = raft.log;
        if (log.lastIndex() == m.index() && log.matchTerm(m.index(), m.logTerm())) {
            log.commitTo(m.commit());
            quiesced = true;
        }
    }
}

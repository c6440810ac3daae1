package io.shardkv.raft.core;

import io.shardkv.raft.core.confchange.MembershipConfig;
import io.shardkv.raft.core.log.RaftLog;

/**
 * A follower's side of log replication: it appends a leader's entries or rejects them with a
 * hint for fast backtracking, learns the commit index from heartbeats, and installs snapshots.
 * Every message is answered to the leader, in the current term.
 *
 * <p>Kept apart from {@link Raft}, which decides who counts as the leader (and resets the election
 * timer) before handing a message here, and from the leader's side, {@link Replication}. It holds
 * no state: the log is {@link Raft#log}; a snapshot's membership replaces the replica's own.
 */
final class FollowerReplication {
    private final Raft raft;

    FollowerReplication(Raft raft) {
        this.raft = raft;
    }

    void handleAppendEntries(Message m) {
        RaftLog log = raft.log;
        raft.noteLeaderRetainFrom(m.retainFrom());
        if (m.index() < log.committed()) {
            raft.send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(raft.term())
                    .index(log.committed()).build());
            return;
        }
        long lastNew = log.maybeAppend(m.index(), m.logTerm(), m.commit(), m.entries());
        if (lastNew >= 0) {
            raft.send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(raft.term()).index(lastNew).build());
            return;
        }
        // Fast backtracking: tell the leader the last index at or below its probe whose term is
        // not above the probe's term, and that term, so it can skip a whole term per round trip.
        long hintIndex = log.findConflictByTerm(Math.min(m.index(), log.lastIndex()), m.logTerm());
        long hintTerm = log.termOrZero(hintIndex);
        raft.send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(raft.term()).index(m.index())
                .reject(true).rejectHint(hintIndex).logTerm(hintTerm).build());
    }

    void handleHeartbeat(Message m) {
        // The leader sends a commit no higher than what it knows this follower holds.
        raft.log.commitTo(Math.min(m.commit(), raft.log.lastIndex()));
        raft.send(Message.builder(MessageType.HEARTBEAT_RESPONSE).to(m.from()).term(raft.term()).index(m.index())
                .readRequestId(m.readRequestId()).build());
    }

    void handleSnapshot(Message m) {
        Snapshot snap = m.snapshot();
        if (restore(snap)) {
            raft.send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(raft.term())
                    .index(raft.log.lastIndex()).build());
        } else {
            raft.send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(raft.term())
                    .index(raft.log.committed()).build());
        }
    }

    /** Installs a leader's snapshot unless the log already covers it; returns whether it did. */
    private boolean restore(Snapshot snap) {
        RaftLog log = raft.log;
        if (snap.index() <= log.committed()) {
            return false;
        }
        if (log.matchTerm(snap.index(), snap.term())) {
            // We already hold that entry: just learn that it is committed.
            log.commitTo(snap.index());
            return false;
        }
        log.restore(snap);
        raft.setMembership(MembershipConfig.fromConfState(snap.metadata().confState()));
        return true;
    }
}

package io.shardkv.raft.core;

import io.shardkv.raft.core.log.RaftLog;
import io.shardkv.raft.core.tracker.Progress;
import io.shardkv.raft.core.tracker.ProgressState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The leader's side of log replication: it stamps and appends new entries to the leader's own
 * log, sends each member entries, a probe or a snapshot as far as that member's {@link Progress}
 * allows, takes the members' answers, sends heartbeats, and advances the commit index once a
 * quorum holds an entry of the current term.
 *
 * <p>Kept apart from {@link Raft} so the flow-control and commit rules read in one place, away
 * from elections and role changes. It holds no state: progress lives in {@link LeaderState}, the
 * log in {@link Raft#log}. The follower's side is {@link FollowerReplication}.
 */
final class Replication {
    private final Raft raft;

    Replication(Raft raft) {
        this.raft = raft;
    }

    /** Appends {@code entries} to the leader's log in the current term and commits what it can. */
    void appendEntries(List<Entry> entries) {
        LeaderState leader = raft.leaderStateOrThrow();
        RaftLog log = raft.log;
        long index = log.lastIndex();
        List<Entry> stamped = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            stamped.add(e.withTermAndIndex(raft.term(), ++index));
        }
        long last = log.append(stamped);
        Progress self = leader.progress.get(raft.id());
        if (self != null) {
            self.maybeUpdate(last);
        }
        maybeCommit(leader);
    }

    /**
     * Advances the commit index to what a quorum of voters holds, if that entry is of the current
     * term (5.4.2). Returns whether it advanced; the first such commit of a term releases the reads
     * parked until then.
     */
    boolean maybeCommit(LeaderState leader) {
        RaftLog log = raft.log;
        long index = raft.membership().voters().committedIndex(voter -> {
            Progress pr = leader.progress.get(voter);
            return pr == null ? -1 : pr.match();
        });
        boolean committedInTerm = log.termOrZero(log.committed()) == raft.term();
        if (index == Long.MAX_VALUE || !log.maybeCommit(index, raft.term())) {
            return false;
        }
        if (!committedInTerm) {
            raft.reads.releaseReadsBeforeFirstCommit(leader);
        }
        return true;
    }

    /** The highest index every follower is known to hold (0 if one holds nothing yet); MAX_VALUE with none. */
    long slowestMatch(LeaderState leader) {
        long slowest = Long.MAX_VALUE;
        for (java.util.Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            if (e.getKey() != raft.id()) {
                slowest = Math.min(slowest, e.getValue().match());
            }
        }
        return slowest;
    }

    /** What appends tell followers to keep: the first index some member still needs; 0 when unknown. */
    private long retainFrom(LeaderState leader) {
        long slowest = slowestMatch(leader);
        return slowest == Long.MAX_VALUE ? 0 : slowest + 1;
    }

    void broadcastAppend() {
        LeaderState leader = raft.leaderStateOrThrow();
        for (long member : leader.progress.keySet()) {
            if (member != raft.id()) {
                maybeSendAppend(leader, member, true);
            }
        }
        leader.appendsDue = false;
        leader.commitNoticeDue = false;
    }

    /**
     * Whether followers must hear of a commit at once rather than with the next append or tick:
     * when it may commit a membership change (a follower that missed it would still count the old
     * configuration's votes if this leader failed now, and the removed member may already be
     * gone), and for the first commit of a term.
     */
    private static boolean announceAtOnce(LeaderState leader, long committedBefore, boolean firstOfTerm) {
        return firstOfTerm || leader.pendingConfIndex > committedBefore;
    }

    /**
     * Sends every member the entries it was not sent yet, in as many appends as its flow control
     * admits (each at most maxSizePerMsgBytes); a member that has them all gets nothing.
     */
    void sendNewEntries(LeaderState leader) {
        long last = raft.log.lastIndex();
        boolean allTold = true;
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            if (e.getKey() == raft.id()) {
                continue;
            }
            Progress pr = e.getValue();
            boolean sent = false;
            // Each append sent moves next past its entries, or pauses a probing member.
            while (pr.next() <= last && maybeSendAppend(leader, e.getKey(), false)) {
                sent = true;
                if (pr.state() != ProgressState.REPLICATE) {
                    break;
                }
            }
            allTold &= sent;
        }
        leader.appendsDue = false;
        if (allTold) {
            leader.commitNoticeDue = false; // each append carried the commit index
        }
    }

    /**
     * Sends the next entries (or a probe) to {@code to} unless its progress is paused. Returns
     * whether a message was sent.
     */
    boolean maybeSendAppend(LeaderState leader, long to, boolean sendIfEmpty) {
        RaftLog log = raft.log;
        Progress pr = leader.progress.get(to);
        if (pr == null || pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next() - 1;
        if (!log.termAvailable(prevIndex)) {
            return maybeSendSnapshot(to, pr);
        }
        long prevTerm = log.termOrZero(prevIndex);
        List<Entry> entries = log.entriesFrom(pr.next(), raft.config().maxSizePerMsgBytes());
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        long bytes = 0;
        for (Entry e : entries) {
            bytes += e.payloadBytes();
        }
        long lastSent = entries.isEmpty() ? prevIndex : entries.get(entries.size() - 1).index();
        raft.send(Message.builder(MessageType.APPEND).to(to).term(raft.term()).index(prevIndex).logTerm(prevTerm)
                .entries(entries).commit(log.committed()).retainFrom(retainFrom(leader)).build());
        pr.sentEntries(entries.size(), lastSent, bytes);
        return true;
    }

    private boolean maybeSendSnapshot(long to, Progress pr) {
        if (!pr.recentActive()) {
            // Building and shipping a snapshot to a replica that may be down wastes both ends.
            return false;
        }
        LogStorage.SnapshotResult result = raft.log.storage().snapshot(pr.next() - 1);
        if (!(result instanceof LogStorage.SnapshotResult.Available available)) {
            // Temporarily unavailable: storage is still building it; the next heartbeat
            // response from this follower asks again.
            return false;
        }
        Snapshot snap = available.snapshot();
        if (snap.index() == 0) {
            throw new IllegalStateException("storage returned an empty snapshot for follower " + to);
        }
        raft.send(Message.builder(MessageType.SNAPSHOT).to(to).term(raft.term()).snapshot(snap).build());
        pr.becomeSnapshot(snap.index());
        return true;
    }

    void handleAppendResponse(LeaderState leader, Message m) {
        RaftLog log = raft.log;
        Progress pr = leader.progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.markActive();
        if (m.reject()) {
            long nextProbe = m.rejectHint();
            if (m.logTerm() > 0) {
                nextProbe = log.findConflictByTerm(m.rejectHint(), m.logTerm());
            }
            if (pr.maybeDecreaseTo(m.index(), nextProbe)) {
                if (pr.state() == ProgressState.REPLICATE) {
                    pr.becomeProbe();
                }
                maybeSendAppend(leader, m.from(), true);
            }
            return;
        }
        boolean wasPaused = pr.isPaused();
        long committedBefore = log.committed();
        boolean firstOfTerm = log.termOrZero(committedBefore) != raft.term();
        if (!pr.maybeUpdate(m.index())) {
            return;
        }
        switch (pr.state()) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match() + 1 >= log.firstIndex()) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights().freeLE(m.index());
        }
        if (maybeCommit(leader) && (!raft.config().deferCommitNotice()
                || announceAtOnce(leader, committedBefore, firstOfTerm))) {
            broadcastAppend();
        } else {
            if (log.committed() != committedBefore) {
                leader.commitNoticeDue = true;
            }
            if (wasPaused) {
                maybeSendAppend(leader, m.from(), true);
            }
        }
        while (raft.stillLeads(leader) && maybeSendAppend(leader, m.from(), false)) {
            // Fill the inflight window.
        }
        if (raft.stillLeads(leader) && m.from() == leader.transferee && pr.match() == log.lastIndex()) {
            raft.leadershipTransfer.sendTimeoutNow(leader, m.from());
        }
    }

    void handleHeartbeatResponse(LeaderState leader, Message m) {
        Progress pr = leader.progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.markActive();
        pr.resume();
        if (m.index() > 0) {
            leader.ackedHeartbeatStamp.merge(m.from(), m.index(), Math::max);
        }
        if (pr.state() == ProgressState.REPLICATE && pr.inflights().full()) {
            pr.inflights().freeFirstOne();
        }
        if (pr.match() < raft.log.lastIndex() || pr.state() == ProgressState.PROBE) {
            maybeSendAppend(leader, m.from(), true);
        }
        if (m.readRequestId() != 0) {
            // In heartbeats and their responses readRequestId is the leader's round tag.
            raft.reads.confirmRound(leader, m.from(), m.readRequestId());
        }
    }

    /**
     * Sends every member a heartbeat stamped with the leader's tick count (the lease evidence)
     * and tagged with {@code readTag}, the read round it confirms (0 for none).
     */
    void broadcastHeartbeat(LeaderState leader, long readTag) {
        if (readTag >= leader.readRoundDue) {
            leader.readRoundDue = 0; // this round confirms the newest read too
        }
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            if (e.getKey() == raft.id()) {
                continue;
            }
            long commit = Math.min(e.getValue().match(), raft.log.committed());
            raft.send(Message.builder(MessageType.HEARTBEAT).to(e.getKey()).term(raft.term()).commit(commit)
                    .index(leader.leaderTicks).readRequestId(readTag).build());
        }
    }

    // ---------------------------------------------------------------- reports from the owner

    /** The transport could not reach {@code to}: stop pipelining to it and probe. */
    void reportUnreachable(long to) {
        LeaderState leader = raft.leaderStateOrNull();
        if (leader == null) {
            return;
        }
        Progress pr = leader.progress.get(to);
        if (pr != null && pr.state() == ProgressState.REPLICATE) {
            pr.becomeProbe();
        }
    }

    /** The outcome of sending a snapshot to {@code to}. */
    void reportSnapshot(long to, boolean success) {
        LeaderState leader = raft.leaderStateOrNull();
        if (leader == null) {
            return;
        }
        Progress pr = leader.progress.get(to);
        if (pr == null || pr.state() != ProgressState.SNAPSHOT) {
            return;
        }
        if (success) {
            pr.becomeProbe();
        } else {
            pr.snapshotFailed();
        }
        // Wait for the follower's answer before sending more.
        pr.sentEntries(0, pr.next() - 1, 0);
    }
}

package io.shardkv.raft.core;

import io.shardkv.raft.core.tracker.Progress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything only a leader tracks: replication progress of every member, the one membership
 * change in flight, a leadership transfer, the uncommitted-bytes bound, reads waiting for
 * confirmation, and the heartbeat rounds that back the lease.
 */
final class LeaderState implements RoleState {
    /** Every member, including the leader itself. */
    final Map<Long, Progress> progress = new HashMap<>();
    /** Heartbeat stamp (leader tick) each member last acknowledged; the basis of the lease. */
    final Map<Long, Long> ackedHeartbeatStamp = new HashMap<>();
    /**
     * Index of the latest membership change entry; a new one is refused until it is applied.
     * Invariant: set to the last index on election, so a change from an earlier term is applied first.
     */
    long pendingConfIndex;
    /** Target of a leadership transfer in progress, or {@link RawNode#NONE}. */
    long transferee = RawNode.NONE;
    int transferElapsedTicks;
    /**
     * Once TimeoutNow was sent this term, another node may win an election without waiting out
     * the followers' leases, so lease reads stay off until this leader's term ends.
     */
    boolean timeoutNowSent;
    /** Payload bytes appended beyond the commit index (bounded by maxUncommittedBytes). */
    long uncommittedBytes;
    /** Ticks since this leader was elected or woke from quiescence; stamps heartbeat rounds. */
    long leaderTicks = 1;
    final ReadIndexQueue reads;
    /**
     * Proposals appended since the last appends went out: their appends are sent when the owner
     * next takes the messages ({@link Raft#takeMessages}), so that a Ready carries one append per
     * follower for all the proposals it handled, not one per proposal.
     */
    boolean appendsDue;
    /**
     * Tag of the newest read whose heartbeat round is not sent yet, or 0. Sent, like appends, when
     * the messages are taken: one round confirms every read queued before it (see
     * {@link ReadIndexQueue}), so the reads handled together share one round.
     */
    long readRoundDue;
    /**
     * The commit index moved since the followers were last told it, and the move need not be told
     * at once (see {@link Replication#handleAppendResponse}). Every append carries the commit
     * index, so the appends of the next proposals tell it; a tick that finds it still set sends
     * empty appends, and a heartbeat or QUIESCE tells it too. A busy leader thus spends no
     * message round on commit indexes alone, and an idle one tells them a tick late.
     */
    boolean commitNoticeDue;
    /**
     * Reads that arrived before the leader committed an entry of its own term, in arrival order.
     * Invariant: empty once the commit index is in the leader's term; at most
     * {@link ReadIndexHandler#MAX_PENDING_READS} long.
     */
    final List<ParkedRead> readsBeforeFirstCommit = new ArrayList<>();

    /** A read parked until the leader's first commit in its term: who asked, its id and its mode. */
    record ParkedRead(long from, long requestId, ReadMode mode) {
    }

    LeaderState(int maxPendingReads) {
        this.reads = new ReadIndexQueue(maxPendingReads);
    }

    @Override
    public Role role() {
        return Role.LEADER;
    }

    Progress progressOrNull(long id) {
        return progress.get(id);
    }
}

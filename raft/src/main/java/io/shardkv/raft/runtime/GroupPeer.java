package io.shardkv.raft.runtime;

import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.storage.GroupLog;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One replica hosted by this server: its core, its mailbox and what waits on it. A group owns
 * no thread: pollers run it when its mailbox has work, one poller at a time.
 *
 * <p>Invariant: {@code node} is only touched by the poller that holds {@code scheduled}.
 */
final class GroupPeer {
    /** A cheap summary published after every cycle, readable from any thread. */
    /**
     * @param slowestFollowerMatch the highest index every member holds, from the leader's tracking
     *                             (told to followers in appends): what log retention keeps the
     *                             log after; Long.MAX_VALUE when unknown
     */
    record Summary(Role role, long term, long leaderId, long commit, long lastIndex, boolean quiesced,
                   long slowestFollowerMatch) {
    }

    final long groupId;
    final RawNode node;
    final GroupLog storage;
    final GroupApplier applier;
    final ProposalTracker proposals;
    final ReadTracker reads;
    final ArrayBlockingQueue<PeerInput> mailbox;
    /** True while the group is queued for or held by a poller. */
    final AtomicBoolean scheduled = new AtomicBoolean();
    volatile Summary summary;
    /** The tick count of {@link TickClock} this group's core has been ticked up to; poller-confined. */
    long tickedUpTo;
    /** Why the group stopped, or null while it runs. */
    volatile String failure;
    /** Set by RaftServer.removeGroup: the poller that next holds the group destroys it, then completes this. */
    volatile CompletableFuture<Void> destroyRequest;
    /** Set by the poller while the group's Readys carry no committed entries (its applier is behind). */
    volatile boolean applyPaused;
    /** Bytes of the inputs in {@link #mailbox} (see {@link MailboxBytes}). */
    final java.util.concurrent.atomic.AtomicLong mailboxBytes = new java.util.concurrent.atomic.AtomicLong();

    GroupPeer(long groupId, RawNode node, GroupLog storage, GroupApplier applier, ProposalTracker proposals,
              ReadTracker reads, int mailboxCapacity, long tickedUpTo) {
        this.groupId = groupId;
        this.node = node;
        this.storage = storage;
        this.applier = applier;
        this.proposals = proposals;
        this.reads = reads;
        this.mailbox = new ArrayBlockingQueue<>(mailboxCapacity);
        this.tickedUpTo = tickedUpTo;
        publishSummary();
    }

    /** Whether this replica has known no leader since {@link #leaderlessSinceNanos}; poller-confined. */
    boolean leaderless;
    long leaderlessSinceNanos;

    /** Called by the poller that holds the group; returns the summary it replaced. */
    Summary publishSummary() {
        Summary before = summary;
        summary = new Summary(node.role(), node.term(), node.leaderId(), node.committed(), node.lastIndex(),
                node.isQuiesced(), node.retainFloor());
        return before;
    }

    boolean isQuiesced() {
        Summary s = summary;
        return s != null && s.quiesced();
    }

    boolean isFailed() {
        return failure != null;
    }

    boolean isLeader() {
        return summary.role() == Role.LEADER;
    }
}

package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.ProposeResult;
import io.shardkv.raft.core.ReadState;
import io.shardkv.raft.core.Ready;
import io.shardkv.raft.storage.LogBatch;
import io.shardkv.raft.storage.LogEngineException;
import io.shardkv.raft.storage.LogEngine;
import io.shardkv.raft.transport.GroupMessage;
import io.shardkv.raft.transport.RaftTransport;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A poller thread's loop: take a batch of groups with work, feed each its inputs and collect
 * its Ready, send the leaders' appends and heartbeats (which may go before the write), make ALL
 * their log writes durable with one synced write (unsynced if they only move commit indexes),
 * then send the other messages, grouped by destination server (at most two transport calls per
 * destination per cycle), hand committed entries to the apply workers and advance. One fsync
 * and one network batch serve many groups.
 */
final class RaftPoller implements RuntimeScheduler.PollerCycle {
    private static final System.Logger LOG = System.getLogger(RaftPoller.class.getName());

    private final Router router;
    private final String name;
    private final LogEngine engine;
    private final RaftTransport transport;
    private final RuntimeConfig config;
    private final RuntimeMetrics metrics;
    private final GroupFailures failures;
    private final AtomicLong readRequestIds;
    private final TickClock tickClock;
    /**
     * Most ticks run at once after a gap: enough for two CheckQuorum rounds (so a leader back from
     * a pause steps down) and an expired lease, without spinning through hours of missed ticks.
     */
    private final int maxCatchUpTicks;
    private final LogBatch batch = new LogBatch();
    private final SnapshotStore snapshots;
    private final ThreadCrashes crashes;
    private final GroupDestroyer destroyer;
    private final ApplyBacklog backlog;
    private final ElectionWatch elections;
    /** Data of the snapshot messages stepped into the group being handled: files to delete unless installed. */
    private final List<byte[]> steppedSnapshots = new ArrayList<>();

    /** Stops a group that failed, isolating it from the rest of the server. */
    interface GroupFailures {
        void fail(GroupPeer peer, String why, Throwable cause);
    }

    /** Destroys a group's replica; called on the poller that holds the group. */
    interface GroupDestroyer {
        void destroy(GroupPeer peer);
    }

    /** Hears of a thread's cycle that died of something no group caused. */
    interface ThreadCrashes {
        void onCrash(String thread, Throwable cause);
    }

    RaftPoller(String name, Router router, LogEngine engine, RaftTransport transport, RuntimeConfig config,
               RuntimeMetrics metrics, GroupFailures failures, AtomicLong readRequestIds, TickClock tickClock,
               SnapshotStore snapshots, ThreadCrashes crashes, GroupDestroyer destroyer, ApplyBacklog backlog,
               ElectionWatch elections) {
        this.name = name;
        this.elections = elections;
        this.backlog = backlog;
        this.destroyer = destroyer;
        this.snapshots = snapshots;
        this.crashes = crashes;
        this.router = router;
        this.engine = engine;
        this.transport = transport;
        this.config = config;
        this.metrics = metrics;
        this.failures = failures;
        this.readRequestIds = readRequestIds;
        this.tickClock = tickClock;
        this.maxCatchUpTicks = 4 * config.raft().electionTicks();
    }

    /**
     * Runs one cycle with the groups that have work, waiting up to {@code waitMillis} for the
     * first; returns whether there was any.
     */
    @Override
    public boolean runOnce(long waitMillis) throws InterruptedException {
        GroupPeer first = waitMillis <= 0 ? router.readyQueue().poll()
                : router.readyQueue().poll(waitMillis, TimeUnit.MILLISECONDS);
        if (first == null) {
            return false;
        }
        List<GroupPeer> groups = new ArrayList<>();
        groups.add(first);
        router.readyQueue().drainTo(groups, config.maxGroupsPerCycle() - 1);
        try {
            cycle(groups);
        } catch (Throwable t) {
            releaseAfterCrash(groups, t);
        }
        return true;
    }

    /**
     * A cycle died of something no group caused (an OutOfMemoryError, say): the server is
     * reported unhealthy, so that it is restarted, and the groups go back to the ready queue
     * rather than staying marked as scheduled on this poller forever. Raft messages of the
     * cycle may be lost (Raft tolerates that); nothing unpersisted was acknowledged.
     */
    private void releaseAfterCrash(List<GroupPeer> groups, Throwable t) {
        batch.clear();
        steppedSnapshots.clear();
        crashes.onCrash(name, t);
        for (GroupPeer g : groups) {
            g.scheduled.set(false);
            if (!g.isFailed()) {
                router.schedule(g);
            }
        }
    }

    private void cycle(List<GroupPeer> groups) {
        List<GroupPeer> withReady = new ArrayList<>();
        List<Ready> readies = new ArrayList<>();
        int entries = 0;
        for (GroupPeer g : groups) {
            if (g.destroyRequest != null) {
                destroy(g);
                continue;
            }
            if (g.isFailed()) {
                continue;
            }
            steppedSnapshots.clear();
            Ready rd = null;
            try {
                handleInputs(g);
                g.node.setApplyBudget(backlog.budgetFor(g.applier.backlogBytes()));
                g.applyPaused = g.node.isApplyPaused();
                if (g.node.hasReady()) {
                    rd = g.node.ready();
                    withReady.add(g);
                    readies.add(rd);
                    batch.add(g.groupId, rd);
                    entries += rd.entries().size();
                }
            } catch (RuntimeException e) {
                failures.fail(g, "core failed", e);
            }
            discardRefusedSnapshots(rd);
        }
        // A leader's appends and heartbeats go before the write: followers write the entries
        // while this server does (Ready#messagesBeforePersist), so a commit waits for one disk
        // write and not for two in a row.
        Map<Long, List<GroupMessage>> early = new HashMap<>();
        for (int i = 0; i < withReady.size(); i++) {
            addMessages(withReady.get(i), readies.get(i).messagesBeforePersist(), early);
        }
        Error sendCrash = null;
        try {
            sendAll(early);
        } catch (Error e) {
            // The Readys taken must still be written and advanced, or their groups would wait for
            // them forever; the cycle dies of it (as of any Error) once they are.
            sendCrash = e;
        }
        if (!batch.isEmpty()) {
            int groupCount = batch.groupCount();
            boolean synced = batch.needsSync();
            long start = System.nanoTime();
            try {
                engine.write(batch);
                if (synced) {
                    metrics.logSynced(System.nanoTime() - start, groupCount, entries);
                } else {
                    metrics.logWrittenUnsynced();
                }
            } catch (LogEngineException e) {
                for (GroupPeer g : withReady) {
                    if (e.groupIds().contains(g.groupId)) {
                        failures.fail(g, "log write failed", e);
                    }
                }
            } catch (IllegalStateException e) {
                // The batch did not fit some group's log. Nothing was written: write each group on
                // its own to find which, so that only that group stops.
                writeEachAlone(withReady, readies);
            }
        }
        Map<Long, List<GroupMessage>> outbound = new HashMap<>();
        for (int i = 0; i < withReady.size(); i++) {
            GroupPeer g = withReady.get(i);
            if (g.isFailed()) {
                continue;
            }
            try {
                afterPersist(g, readies.get(i), outbound);
            } catch (RuntimeException e) {
                failures.fail(g, "processing Ready failed", e);
            }
        }
        if (sendCrash != null) {
            throw sendCrash;
        }
        sendAll(outbound);
        for (GroupPeer g : groups) {
            if (g.isFailed()) {
                // Released but not rescheduled: a later destroy request must be able to schedule it.
                g.scheduled.set(false);
                continue;
            }
            // Decide before releasing the group: once released, another poller may own it.
            boolean more = g.node.hasReady() || !g.mailbox.isEmpty();
            g.scheduled.set(false);
            if (more || !g.mailbox.isEmpty()) {
                router.schedule(g);
            }
        }
    }

    private void sendAll(Map<Long, List<GroupMessage>> outbound) {
        for (Map.Entry<Long, List<GroupMessage>> e : outbound.entrySet()) {
            try {
                transport.send(e.getKey(), e.getValue());
                metrics.messageBatchSent(e.getValue().size());
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "sending to server " + e.getKey() + " failed", ex);
            }
        }
    }

    private void addMessages(GroupPeer g, List<Message> messages, Map<Long, List<GroupMessage>> outbound) {
        for (Message m : messages) {
            if (m.type() == MessageType.SNAPSHOT) {
                metrics.snapshotSent();
            }
            outbound.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(new GroupMessage(g.groupId, m));
        }
    }

    /** After a refused batch: each group's Ready in its own synced write; a refused one fails its group only. */
    private void writeEachAlone(List<GroupPeer> withReady, List<Ready> readies) {
        for (int i = 0; i < withReady.size(); i++) {
            GroupPeer g = withReady.get(i);
            try {
                engine.write(new LogBatch().add(g.groupId, readies.get(i)));
            } catch (RuntimeException e) {
                failures.fail(g, "log write refused", e);
            }
        }
    }

    /**
     * Destroys a group's replica on the poller that holds it, so no write of the group can be in
     * flight: its log and state go in one synced write, and its waiters are failed.
     */
    private void destroy(GroupPeer g) {
        CompletableFuture<Void> request = g.destroyRequest;
        try {
            destroyer.destroy(g);
            request.complete(null);
        } catch (RuntimeException e) {
            request.completeExceptionally(e);
        }
    }

    /**
     * A received snapshot the core did not take into this Ready (stale, or from an old term) will
     * never be installed: its files go now rather than at the next restart.
     */
    private void discardRefusedSnapshots(Ready rd) {
        for (byte[] data : steppedSnapshots) {
            if (rd == null || rd.snapshot() == null || !Arrays.equals(rd.snapshot().data(), data)) {
                snapshots.deleteReferenced(data);
            }
        }
        steppedSnapshots.clear();
    }

    private void afterPersist(GroupPeer g, Ready rd, Map<Long, List<GroupMessage>> outbound) {
        if (rd.snapshot() != null) {
            g.applier.submitRestore(rd.snapshot());
        }
        addMessages(g, rd.messagesAfterPersist(), outbound);
        if (!rd.committedEntries().isEmpty()) {
            g.proposals.onCommitted(rd.committedEntries(), System.nanoTime());
            g.applier.submitEntries(rd.committedEntries());
            metrics.entriesCommitted(rd.committedEntries().size());
        }
        for (ReadState rs : rd.readStates()) {
            g.reads.onReadIndex(rs.requestId(), rs.index(), g.applier.appliedIndex());
        }
        g.node.advance(rd);
        publish(g);
    }

    private void handleInputs(GroupPeer g) {
        // Time first: a read or proposal handled after a pause must see the ticks it missed, and
        // whoever its answer reaches must find the summary as those ticks left it.
        if (catchUpTicks(g)) {
            publish(g);
        }
        boolean publish = false;
        for (int i = 0; i < config.maxInputsPerCycle(); i++) {
            PeerInput input = router.take(g);
            if (input == null) {
                break;
            }
            publish |= handle(g, input);
        }
        if (publish) {
            publish(g);
        }
    }

    /**
     * Ticks the core for the clock ticks since it was last handled (see {@link TickClock}). A
     * quiesced core ignores ticks, so its elapsed time is consumed without running them: it must
     * not wake to a burst of stale timeouts. Returns whether any tick ran.
     */
    private boolean catchUpTicks(GroupPeer g) {
        long now = tickClock.now();
        long due = now - g.tickedUpTo;
        g.tickedUpTo = now;
        if (due <= 0 || g.node.isQuiesced()) {
            return false;
        }
        long ticks = Math.min(due, maxCatchUpTicks);
        for (long i = 0; i < ticks; i++) {
            g.node.tick();
        }
        return true;
    }

    /** Returns whether the summary may have changed without a Ready (e.g. quiescence). */
    private boolean handle(GroupPeer g, PeerInput input) {
        if (input instanceof PeerInput.Tick) {
            return false; // only a wake-up: catchUpTicks ran the ticks that are due
        } else if (input instanceof PeerInput.Step s) {
            if (s.message().type() == MessageType.SNAPSHOT && s.message().snapshot() != null) {
                steppedSnapshots.add(s.message().snapshot().data());
            }
            if (s.message().to() != config.serverId()) {
                metrics.messageDropped();
                return false;
            }
            long impossible = g.node.impossibleMessages();
            g.node.step(s.message());
            if (g.node.impossibleMessages() != impossible) {
                metrics.impossibleMessage();
                LOG.log(System.Logger.Level.WARNING, "group " + g.groupId + ": dropped a message no correct peer"
                        + " sends (forged or corrupt): " + s.message());
            }
            return true;
        } else if (input instanceof PeerInput.Propose p) {
            ProposeResult r = g.node.propose(p.command());
            metrics.proposal(r.isAccepted());
            if (r instanceof ProposeResult.Accepted a) {
                g.proposals.register(a.index(), a.term(), p.result(), p.queuedNanos(), System.nanoTime());
            } else {
                p.result().completeExceptionally(toException(g, (ProposeResult.Dropped) r));
            }
        } else if (input instanceof PeerInput.ProposeConfChange c) {
            ProposeResult r = g.node.proposeConfChange(c.change());
            if (r instanceof ProposeResult.Accepted a) {
                g.proposals.register(a.index(), a.term(), c.result(), c.queuedNanos(), System.nanoTime());
            } else {
                c.result().completeExceptionally(toException(g, (ProposeResult.Dropped) r));
            }
        } else if (input instanceof PeerInput.ReadIndex r) {
            long requestId = readRequestIds.incrementAndGet();
            g.reads.register(requestId, r.result());
            ProposeResult result = g.node.readIndex(requestId, r.mode());
            if (result instanceof ProposeResult.Dropped d) {
                g.reads.forget(requestId);
                r.result().completeExceptionally(toException(g, d));
            }
        } else if (input instanceof PeerInput.TransferLeader t) {
            ProposeResult r = g.node.transferLeader(t.target());
            if (r instanceof ProposeResult.Dropped d) {
                t.result().completeExceptionally(toException(g, d));
            } else {
                t.result().complete(null);
            }
        } else if (input instanceof PeerInput.Unreachable u) {
            g.node.reportUnreachable(u.replica());
        } else if (input instanceof PeerInput.SnapshotStatus s) {
            g.node.reportSnapshot(s.replica(), s.success());
        } else if (input instanceof PeerInput.LeaderDown) {
            g.node.reportLeaderDown();
            return true;
        } else if (input instanceof PeerInput.Compact c) {
            compact(g, c.index());
        } else if (input instanceof PeerInput.Status s) {
            s.result().complete(g.node.status());
        }
        return false;
    }

    private void compact(GroupPeer g, long index) {
        // Only below what the core has handed out and the state machine made durable; the
        // applier computed index from the durable applied index, so re-check the log bounds.
        if (index < g.storage.firstIndex() || index > g.storage.lastIndex() || index > g.node.status().handedToApply()) {
            return;
        }
        engine.compact(g.groupId, index);
    }

    /** Publishes the group's summary, and what changed in its leadership. */
    private void publish(GroupPeer g) {
        GroupPeer.Summary before = g.publishSummary();
        elections.observe(g, before, g.summary);
    }

    static RaftRequestException toException(GroupPeer g, ProposeResult.Dropped d) {
        RaftRequestException.Kind kind = switch (d.reason()) {
            case NOT_LEADER -> RaftRequestException.Kind.NOT_LEADER;
            case NO_LEADER, TRANSFER_IN_PROGRESS, CONF_CHANGE_PENDING, NOT_MEMBER -> RaftRequestException.Kind.UNAVAILABLE;
            case UNCOMMITTED_LIMIT, READ_QUEUE_FULL -> RaftRequestException.Kind.SERVER_BUSY;
            case INVALID_CONF_CHANGE, TRANSFER_TARGET_NOT_VOTER -> RaftRequestException.Kind.INVALID;
        };
        String detail = d.detail().isEmpty() ? d.reason().name() : d.reason() + ": " + d.detail();
        return new RaftRequestException(kind, g.groupId, d.leaderHint(), detail);
    }
}

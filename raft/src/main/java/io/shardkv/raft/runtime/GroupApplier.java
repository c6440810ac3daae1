package io.shardkv.raft.runtime;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.core.confchange.MembershipConfig;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Applies one group's committed entries to its state machine, in order, on the shared apply
 * pool: tasks queue here and at most one pool thread drains them at a time, so groups apply in
 * parallel but each group strictly in sequence. It also builds snapshots of the group between
 * two applies, where the applied index, its term and the membership are known exactly.
 *
 * <p>Invariant: {@code appliedIndex}, {@code appliedTerm} and {@code confState} describe the
 * state machine after its last apply or restore; only the draining thread touches them.
 */
final class GroupApplier implements io.shardkv.raft.storage.SnapshotSource {
    private sealed interface Task permits ApplyEntries, Restore, BuildSnapshot {
    }

    private record ApplyEntries(List<Entry> entries) implements Task {
    }

    private record Restore(Snapshot snapshot) implements Task {
    }

    private record BuildSnapshot() implements Task {
    }

    private final long groupId;
    private final StateMachine stateMachine;
    private final Executor pool;
    private final ProposalTracker proposals;
    private final ReadTracker reads;
    private final Consumer<Throwable> onFailure;
    private final Runnable onProgress;
    private final RuntimeMetrics metrics;
    private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean snapshotRequested = new AtomicBoolean();

    private long appliedIndex;
    private long appliedTerm;
    private ConfState confState;
    private volatile long visibleAppliedIndex;
    private volatile Snapshot latestSnapshot;
    private volatile boolean stopped;

    GroupApplier(long groupId, StateMachine stateMachine, Executor pool, ProposalTracker proposals, ReadTracker reads,
                 long appliedIndex, long appliedTerm, ConfState confState, Consumer<Throwable> onFailure,
                 Runnable onProgress, RuntimeMetrics metrics) {
        this.groupId = groupId;
        this.stateMachine = stateMachine;
        this.pool = pool;
        this.proposals = proposals;
        this.reads = reads;
        this.appliedIndex = appliedIndex;
        this.appliedTerm = appliedTerm;
        this.confState = confState;
        this.visibleAppliedIndex = appliedIndex;
        this.onFailure = onFailure;
        this.onProgress = onProgress;
        this.metrics = metrics;
    }

    void submitEntries(List<Entry> entries) {
        submit(new ApplyEntries(entries));
    }

    void submitRestore(Snapshot snapshot) {
        submit(new Restore(snapshot));
    }

    long appliedIndex() {
        return visibleAppliedIndex;
    }

    void stop() {
        stopped = true;
    }

    /**
     * Called by the core (on a poller) when a follower needs a snapshot: answers with the latest
     * one if it is recent enough, and otherwise asks for a new one, built between two applies.
     */
    @Override
    public Optional<Snapshot> snapshotAtOrAfter(long requestIndex) {
        Snapshot s = latestSnapshot;
        if (s != null && s.index() >= requestIndex) {
            return Optional.of(s);
        }
        if (snapshotRequested.compareAndSet(false, true)) {
            submit(new BuildSnapshot());
        }
        return Optional.empty();
    }

    private void submit(Task task) {
        if (stopped) {
            return;
        }
        tasks.add(task);
        if (draining.compareAndSet(false, true)) {
            pool.execute(this::drain);
        }
    }

    private void drain() {
        try {
            Task task;
            while (!stopped && (task = tasks.poll()) != null) {
                run(task);
            }
        } catch (Throwable t) {
            stopped = true;
            onFailure.accept(t);
            return;
        } finally {
            draining.set(false);
        }
        // A task added after the last poll but before draining was cleared would be stranded.
        if (!tasks.isEmpty() && !stopped && draining.compareAndSet(false, true)) {
            pool.execute(this::drain);
        }
    }

    private void run(Task task) {
        if (task instanceof ApplyEntries a) {
            applyEntries(a.entries());
        } else if (task instanceof Restore r) {
            restore(r.snapshot());
        } else {
            buildSnapshot();
        }
    }

    private void applyEntries(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (entries.get(0).index() != appliedIndex + 1) {
            throw new IllegalStateException("group " + groupId + ": applying " + entries.get(0).index()
                    + " after " + appliedIndex);
        }
        List<byte[]> results = stateMachine.apply(entries);
        if (results.size() != entries.size()) {
            throw new IllegalStateException("group " + groupId + ": state machine returned " + results.size()
                    + " results for " + entries.size() + " entries");
        }
        MembershipConfig membership = MembershipConfig.fromConfState(confState);
        MembershipConfig after = membership.applyCommittedEntries(entries);
        if (after != membership) {
            confState = after.toConfState();
        }
        for (int i = 0; i < entries.size(); i++) {
            proposals.onApplied(entries.get(i), results.get(i));
        }
        Entry last = entries.get(entries.size() - 1);
        appliedIndex = last.index();
        appliedTerm = last.term();
        visibleAppliedIndex = appliedIndex;
        metrics.entriesApplied(entries.size());
        reads.onApplied(appliedIndex);
        onProgress.run();
    }

    private void restore(Snapshot snapshot) {
        stateMachine.restore(snapshot);
        appliedIndex = snapshot.index();
        appliedTerm = snapshot.term();
        confState = snapshot.metadata().confState();
        visibleAppliedIndex = appliedIndex;
        proposals.onRestored(appliedIndex);
        metrics.snapshotReceived();
        reads.onApplied(appliedIndex);
        onProgress.run();
    }

    private void buildSnapshot() {
        snapshotRequested.set(false);
        if (appliedIndex == 0) {
            return;
        }
        latestSnapshot = new Snapshot(new SnapshotMetadata(appliedIndex, appliedTerm, confState),
                stateMachine.snapshotData());
        metrics.snapshotBuilt();
        // The core asks for it again on its next contact with the follower (a heartbeat response).
    }
}

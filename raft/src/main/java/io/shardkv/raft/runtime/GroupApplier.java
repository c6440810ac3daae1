package io.shardkv.raft.runtime;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.core.confchange.MembershipConfig;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotFiles;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Applies one group's committed entries to its state machine, in order, on the shared apply
 * pool: tasks queue here and at most one pool thread drains them at a time, so groups apply in
 * parallel but each group strictly in sequence. It also builds snapshots of the group between
 * two applies, where the applied index, its term and the membership are known exactly: the state
 * machine pins its state there, and the {@link SnapshotBuilder} writes the files while applies go
 * on. A failed build fails only that snapshot; the group asks again after a pause.
 *
 * <p>Invariant: {@code appliedIndex}, {@code appliedTerm} and {@code confState} describe the
 * state machine after its last apply or restore; only the draining thread touches them.
 */
final class GroupApplier implements io.shardkv.raft.storage.SnapshotSource {
    private sealed interface Task permits ApplyEntries, Restore, BuildSnapshot {
    }

    private record ApplyEntries(List<Entry> entries, long weight) implements Task {
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
    private final SnapshotStore store;
    private final SnapshotBuilder builder;
    private final ApplyBacklog backlog;
    private final java.util.function.LongSupplier nanoClock;
    /** Bytes of this group's entries handed to it and not applied yet (see {@link ApplyBacklog}). */
    private final java.util.concurrent.atomic.AtomicLong backlogBytes = new java.util.concurrent.atomic.AtomicLong();
    private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean snapshotRequested = new AtomicBoolean();

    private long appliedIndex;
    private long appliedTerm;
    private ConfState confState;
    private volatile long visibleAppliedIndex;
    private volatile Snapshot latestSnapshot;
    private volatile boolean stopped;
    /** When the latest snapshot was last handed out, on the runtime's clock. */
    private volatile long latestSnapshotUsedNanos;
    /** When the last build failed, on the runtime's clock, or 0; no new build is asked for soon after. */
    private volatile long buildFailedAtNanos;
    static final long BUILD_RETRY_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(5);

    GroupApplier(long groupId, StateMachine stateMachine, Executor pool, ProposalTracker proposals, ReadTracker reads,
                 long appliedIndex, long appliedTerm, ConfState confState, Consumer<Throwable> onFailure,
                 Runnable onProgress, RuntimeMetrics metrics, SnapshotStore store, SnapshotBuilder builder,
                 ApplyBacklog backlog, java.util.function.LongSupplier nanoClock) {
        this.backlog = backlog;
        this.nanoClock = nanoClock;
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
        this.store = store;
        this.builder = builder;
    }

    void submitEntries(List<Entry> entries) {
        long weight = ApplyBacklog.weigh(entries);
        backlogBytes.addAndGet(weight);
        backlog.add(weight);
        submit(new ApplyEntries(entries, weight));
    }

    /** Bytes of entries handed to this group's applier and not applied yet. */
    long backlogBytes() {
        return backlogBytes.get();
    }

    void submitRestore(Snapshot snapshot) {
        submit(new Restore(snapshot));
    }

    long appliedIndex() {
        return visibleAppliedIndex;
    }

    void stop() {
        Snapshot s;
        synchronized (this) {
            stopped = true;
            s = latestSnapshot;
            latestSnapshot = null;
        }
        releaseUnrun();
        if (s != null) {
            store.delete(SnapshotStore.parseRef(s.data()));
        }
    }

    /**
     * Called by the core (on a poller) when a follower needs a snapshot: answers with the latest
     * one if it is recent enough, and otherwise asks for a new one, built between two applies.
     */
    @Override
    public Optional<Snapshot> snapshotAtOrAfter(long requestIndex) {
        Snapshot s = latestSnapshot;
        if (s != null && s.index() >= requestIndex) {
            latestSnapshotUsedNanos = nanoClock.getAsLong();
            return Optional.of(s);
        }
        long failedAt = buildFailedAtNanos;
        if (failedAt != 0 && nanoClock.getAsLong() - failedAt < BUILD_RETRY_PAUSE_NANOS) {
            return Optional.empty();
        }
        if (snapshotRequested.compareAndSet(false, true)) {
            submit(new BuildSnapshot());
        }
        return Optional.empty();
    }

    /** Tasks that will never run give their bytes back. */
    private void releaseUnrun() {
        for (Task t : tasks) {
            if (t instanceof ApplyEntries a && tasks.remove(t)) {
                backlogBytes.addAndGet(-a.weight());
                backlog.remove(a.weight());
            }
        }
    }

    private void submit(Task task) {
        if (stopped) {
            if (task instanceof ApplyEntries a) {
                backlogBytes.addAndGet(-a.weight());
                backlog.remove(a.weight());
            }
            return;
        }
        tasks.add(task);
        if (stopped) {
            releaseUnrun(); // stopped while adding: nobody will run it
            return;
        }
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
            applyEntries(a.entries(), a.weight());
        } else if (task instanceof Restore r) {
            restore(r.snapshot());
        } else {
            buildSnapshot();
        }
    }

    private void applyEntries(List<Entry> entries, long weight) {
        List<byte[]> results;
        try {
            if (entries.isEmpty()) {
                return;
            }
            if (entries.get(0).index() != appliedIndex + 1) {
                throw new IllegalStateException("group " + groupId + ": applying " + entries.get(0).index()
                        + " after " + appliedIndex);
            }
            results = stateMachine.apply(entries);
        } finally {
            // Before onProgress below: a paused group is woken there and must see its backlog gone.
            backlogBytes.addAndGet(-weight);
            backlog.remove(weight);
        }
        if (results.size() != entries.size()) {
            throw new IllegalStateException("group " + groupId + ": state machine returned " + results.size()
                    + " results for " + entries.size() + " entries");
        }
        MembershipConfig membership = MembershipConfig.fromConfState(confState);
        MembershipConfig after = membership.applyCommittedEntries(entries);
        if (after != membership) {
            confState = after.toConfState();
        }
        long appliedNanos = System.nanoTime();
        for (int i = 0; i < entries.size(); i++) {
            proposals.onApplied(entries.get(i), results.get(i), appliedNanos);
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
        restoreFrom(stateMachine, store, snapshot);
        appliedIndex = snapshot.index();
        appliedTerm = snapshot.term();
        confState = snapshot.metadata().confState();
        visibleAppliedIndex = appliedIndex;
        proposals.onRestored(appliedIndex);
        metrics.snapshotReceived();
        reads.onApplied(appliedIndex);
        onProgress.run();
    }

    /**
     * Restores a state machine from a snapshot received into {@code store}, then deletes the
     * files: the restored state is durable, so the copy is no longer needed.
     */
    static void restoreFrom(StateMachine stateMachine, SnapshotStore store, Snapshot snapshot) {
        SnapshotRef ref = SnapshotStore.parseRef(snapshot.data());
        if (ref.getManifest().getIndex() != snapshot.index() || ref.getManifest().getTerm() != snapshot.term()) {
            throw new IllegalStateException("snapshot " + snapshot + " refers to files of index "
                    + ref.getManifest().getIndex() + " term " + ref.getManifest().getTerm());
        }
        SnapshotFiles files;
        try {
            files = store.files(ref);
        } catch (IOException e) {
            throw new UncheckedIOException("the files of snapshot " + snapshot + " are not all there", e);
        }
        stateMachine.restore(snapshot.metadata(), files);
        store.delete(ref);
    }

    private void buildSnapshot() {
        if (appliedIndex == 0) {
            snapshotRequested.set(false);
            return;
        }
        SnapshotMetadata metadata = new SnapshotMetadata(appliedIndex, appliedTerm, confState);
        SnapshotImage image;
        try {
            image = stateMachine.captureImage();
        } catch (RuntimeException e) {
            metrics.snapshotBuildFailed();
            buildFailed(e);
            return;
        }
        builder.build(groupId, metadata, image, this::built, this::buildFailed);
        // The core asks for it again on its next contact with the follower (a heartbeat response).
    }

    /**
     * Deletes the latest built snapshot if no follower was handed it for {@code idleNanos}: a
     * group's image is as large as the group, and keeping one per group on disk for good would
     * double a leader's disk use. A transfer still reading it keeps its files open to the end.
     */
    void dropIdleSnapshot(long idleNanos) {
        Snapshot s;
        synchronized (this) {
            s = latestSnapshot;
            if (s == null || nanoClock.getAsLong() - latestSnapshotUsedNanos < idleNanos) {
                return;
            }
            latestSnapshot = null;
        }
        store.delete(SnapshotStore.parseRef(s.data()));
    }

    /** On a snapshot thread: the files are written. */
    private void built(Snapshot snapshot) {
        Snapshot previous;
        synchronized (this) {
            previous = latestSnapshot;
            latestSnapshot = stopped ? null : snapshot;
            latestSnapshotUsedNanos = nanoClock.getAsLong();
        }
        if (previous != null) {
            // A transfer already under way has its files open and finishes; later ones use the new one.
            store.delete(SnapshotStore.parseRef(previous.data()));
        }
        if (stopped) {
            store.delete(SnapshotStore.parseRef(snapshot.data()));
        }
        buildFailedAtNanos = 0;
        snapshotRequested.set(false);
    }

    private void buildFailed(Throwable cause) {
        buildFailedAtNanos = Math.max(1, nanoClock.getAsLong());
        snapshotRequested.set(false);
    }
}

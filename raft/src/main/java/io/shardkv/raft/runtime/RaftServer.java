package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.storage.GroupBootstrap;
import io.shardkv.raft.storage.GroupLog;
import io.shardkv.raft.storage.LogEngine;
import io.shardkv.raft.storage.LogBatch;
import io.shardkv.raft.core.RaftStatus;
import io.shardkv.raft.core.RandomSource;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.transport.GroupMessage;
import io.shardkv.raft.transport.RaftTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One server's multi-raft runtime: hosts replicas of many groups on one shared log engine, a
 * fixed set of poller threads, an apply pool, one tick timer and one transport. Groups own no
 * threads. A group whose core, storage or state machine fails is stopped and reported; the
 * others keep serving.
 *
 * <p>Replica ids are server ids: a server hosts at most one replica of a group.
 */
public final class RaftServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RaftServer.class.getName());


    private final RuntimeConfig config;
    private final LogEngine engine;
    private final RaftTransport transport;
    private final RuntimeMetrics metrics;
    private final Router router;
    private final RuntimeScheduler scheduler;
    private final AtomicLong readRequestIds = new AtomicLong();
    private final AtomicInteger failedGroups = new AtomicInteger();
    private final TickClock tickClock;
    private final SnapshotStore snapshots;
    private final SnapshotBuilder snapshotBuilder;
    private final ApplyBacklog applyBacklog;
    private final ElectionWatch elections;
    private boolean started;
    private volatile boolean closed;
    /** The first poller or apply cycle that died of something no group caused; null while none has. */
    private volatile String threadCrash;

    /**
     * @param snapshots where snapshot files are kept; received snapshots the log engine no longer
     *                  refers to are deleted now
     */
    public RaftServer(RuntimeConfig config, LogEngine engine, RaftTransport transport, SnapshotStore snapshots,
                      MeterRegistry registry) {
        this(config, engine, transport, snapshots, registry,
                new ThreadScheduler(config.serverId(), config.applyThreads()));
    }

    /**
     * @param scheduler what the runtime runs on: real threads on a server, the simulation's one
     *                  thread in tests. Closed with the server.
     */
    public RaftServer(RuntimeConfig config, LogEngine engine, RaftTransport transport, SnapshotStore snapshots,
                      MeterRegistry registry, RuntimeScheduler scheduler) {
        this.config = config;
        this.engine = engine;
        this.transport = transport;
        this.snapshots = snapshots;
        this.scheduler = scheduler;
        this.metrics = new RuntimeMetrics(registry, this::groupCount, this::quiescedGroupCount, failedGroups::get);
        this.router = new Router(metrics, MailboxBytes.forHeap(Runtime.getRuntime().maxMemory(), registry),
                scheduler::workQueued);
        this.tickClock = new TickClock(config.tickMillis(), scheduler::nanoTime);
        this.applyBacklog = new ApplyBacklog(config.maxApplyBacklogBytes(), registry);
        this.elections = new ElectionWatch(config.serverId(), metrics, scheduler::nanoTime);
        this.snapshotBuilder = new SnapshotBuilder(snapshots, metrics, scheduler.snapshotExecutor(),
                scheduler::nanoTime);
        Set<String> kept = new TreeSet<>();
        engine.keptSnapshotData().forEach((groupId, data) -> keptRef(groupId, data).ifPresent(r -> kept.add(r.getDir())));
        snapshots.retainReceived(kept);
    }

    private static Optional<SnapshotRef> keptRef(long groupId, byte[] data) {
        try {
            return Optional.of(SnapshotStore.parseRef(data));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": the kept snapshot is not a file reference ("
                    + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    /** Starts pollers, the timer and the transport. Groups may be added before or after. */
    public synchronized void start() {
        if (started || closed) {
            throw new IllegalStateException("server " + config.serverId() + " was already started");
        }
        started = true;
        transport.start(config.serverId(), new RaftTransport.Inbound() {
            @Override
            public void onMessages(long fromServer, List<GroupMessage> messages) {
                // A received snapshot's files stay until the group installs or refuses them;
                // undelivered, they go now.
                router.onMessages(messages, snapshots::deleteReferenced);
            }

            @Override
            public void onUnreachable(long server) {
                router.onServerUnreachable(server);
            }

            @Override
            public void onSnapshotStatus(long groupId, long toServer, boolean success) {
                router.deliver(groupId, new PeerInput.SnapshotStatus(toServer, success));
            }
        }, snapshots);
        for (int i = 0; i < config.pollerThreads(); i++) {
            String name = "raft-poller-" + config.serverId() + "-" + i;
            scheduler.startPoller(name, new RaftPoller(name, router, engine, transport, config, metrics,
                    this::failGroup, readRequestIds, tickClock, snapshots, this::threadCrashed, this::destroyOnPoller,
                    applyBacklog, elections));
        }
        scheduler.every("tick timer", config.tickMillis(), new TickTimer(router));
        scheduler.every("idle snapshot cleanup", java.util.concurrent.TimeUnit.MINUTES.toMillis(1),
                () -> dropIdleSnapshots(SNAPSHOT_IDLE_NANOS));
    }

    /** Built snapshots no follower asked for in this long are deleted (they are rebuilt on demand). */
    static final long SNAPSHOT_IDLE_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);

    void dropIdleSnapshots(long idleNanos) {
        for (GroupPeer p : router.peers()) {
            try {
                p.applier.dropIdleSnapshot(idleNanos);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "group " + p.groupId + ": cannot drop its idle snapshot", e);
            }
        }
    }

    /**
     * Creates this server's replica of a new group. With the initial members of a brand-new
     * group it bootstraps the group; with {@link ConfState#EMPTY} it creates an empty replica
     * that waits for the leader to add it and catch it up.
     */
    public void createGroup(long groupId, ConfState initialMembers, StateMachine stateMachine) {
        GroupLog storage;
        if (initialMembers.voters().isEmpty()) {
            storage = engine.createGroup(groupId);
        } else {
            storage = engine.createGroup(groupId, initialMembers);
            engine.write(new LogBatch()
                    .installSnapshot(groupId, new SnapshotMetadata(GroupBootstrap.INDEX, GroupBootstrap.TERM, initialMembers))
                    .setHardState(groupId, new HardState(GroupBootstrap.TERM, RawNode.NONE, GroupBootstrap.INDEX)));
        }
        host(groupId, storage, stateMachine);
    }

    /**
     * Resumes hosting a group whose log is already in the engine (after a restart). A replica
     * whose state machine is behind the log's start with no snapshot kept to restore (its state
     * was lost, e.g. a destroy cut short) cannot replay; it is reset to an empty replica, which
     * its leader catches up with a snapshot, rather than keeping the server from starting.
     */
    public void openGroup(long groupId, StateMachine stateMachine) {
        GroupLog storage = engine.group(groupId).orElseThrow(() ->
                new IllegalArgumentException("group " + groupId + " has no log on server " + config.serverId()));
        long applied = stateMachine.durableAppliedIndex();
        boolean bootstrapPoint = applied == 0 && storage.firstIndex() - 1 == GroupBootstrap.INDEX;
        if (!bootstrapPoint && applied < storage.firstIndex() - 1 && engine.installedSnapshot(groupId).isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "group {0}: the state machine is at {1} but the log starts after {2}"
                    + " and no snapshot is kept; resetting to an empty replica that its leader will catch up",
                    groupId, applied, storage.firstIndex() - 1);
            storage = engine.resetGroup(groupId);
            metrics.replicaReset();
        }
        host(groupId, storage, stateMachine);
    }

    /** Groups whose logs are stored here, hosted or not. */
    public Set<Long> storedGroups() {
        return new TreeSet<>(engine.groupIds());
    }

    public Set<Long> hostedGroups() {
        Set<Long> ids = new TreeSet<>();
        router.peers().forEach(p -> ids.add(p.groupId));
        return ids;
    }

    private void host(long groupId, GroupLog storage, StateMachine stateMachine) {
        long applied = stateMachine.durableAppliedIndex();
        if (applied == 0 && storage.firstIndex() - 1 == GroupBootstrap.INDEX) {
            // An empty state machine is exactly the state at the bootstrap point.
            applied = GroupBootstrap.INDEX;
        }
        Optional<Snapshot> installed = engine.installedSnapshot(groupId);
        if (applied < storage.firstIndex() - 1) {
            // The process died between installing a snapshot into the log and restoring the state
            // machine from it: restore it now, from the copy the install kept.
            if (installed.isEmpty()) {
                throw new IllegalStateException("group " + groupId + ": state machine applied " + applied
                        + " but the log starts after " + (storage.firstIndex() - 1) + " and no snapshot is kept");
            }
            LOG.log(System.Logger.Level.INFO, "group {0}: restoring the snapshot at {1} that a crash interrupted",
                    groupId, installed.get().index());
            GroupApplier.restoreFrom(stateMachine, snapshots, installed.get());
            applied = installed.get().index();
        } else if (installed.isPresent()) {
            // Restored before the crash; the files may linger if it came between restore and delete.
            keptRef(groupId, installed.get().data()).ifPresent(snapshots::delete);
        }
        if (applied > storage.lastIndex()) {
            throw new IllegalStateException("group " + groupId + ": state machine applied " + applied
                    + " beyond the log's last index " + storage.lastIndex());
        }
        RawNode node = new RawNode(config.raft().withApplied(applied), storage,
                RandomSource.seeded(scheduler.nextSeed()));
        long appliedTerm = applied == 0 ? 0 : storage.term(applied);
        ProposalTracker proposals = new ProposalTracker(groupId, metrics::proposalStage);
        ReadTracker reads = new ReadTracker();
        GroupPeer[] self = new GroupPeer[1];
        GroupApplier applier = new GroupApplier(groupId, stateMachine, scheduler.applyExecutor(), proposals, reads,
                applied,
                appliedTerm, node.confState(),
                cause -> {
                    if (cause instanceof VirtualMachineError) {
                        threadCrashed(Thread.currentThread().getName(), cause);
                    }
                    failGroup(self[0], "state machine failed", cause);
                },
                () -> afterApply(self[0], stateMachine),
                metrics, snapshots, snapshotBuilder, applyBacklog, scheduler::nanoTime);
        storage.setSnapshotSource(applier);
        GroupPeer peer = new GroupPeer(groupId, node, storage, applier, proposals, reads, config.mailboxCapacity(),
                tickClock.now());
        self[0] = peer;
        router.register(peer);
    }

    /** On an apply worker: compact the log when enough of it is durable in the state machine. */
    private void afterApply(GroupPeer peer, StateMachine stateMachine) {
        if (peer.applyPaused) {
            // Its applier caught up a little: the poller decides again whether it gets more.
            router.schedule(peer);
        }
        GroupPeer.Summary s = peer.summary;
        OptionalLong index = config.retention().compactionIndex(stateMachine.durableAppliedIndex(),
                peer.storage.firstIndex(), peer.storage.lastIndex(),
                s == null ? Long.MAX_VALUE : s.slowestFollowerMatch(), peer.storage.averageEntryBytes());
        if (index.isPresent()) {
            router.deliver(peer, new PeerInput.Compact(index.getAsLong()));
        }
    }

    /** Proposes a command; completes with the state machine's result once applied here. */
    public CompletableFuture<byte[]> propose(long groupId, byte[] command) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        submit(groupId, new PeerInput.Propose(command, f), f);
        return f;
    }

    /** Proposes a membership change; completes once applied here (joint changes leave by themselves). */
    public CompletableFuture<byte[]> changeMembership(long groupId, ConfChange change) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        submit(groupId, new PeerInput.ProposeConfChange(change, f), f);
        return f;
    }

    /**
     * Confirms a read index and waits until this replica has applied it: a read of the local
     * state machine after completion is linearizable (or lease-based with {@link ReadMode#LEASE}).
     */
    public CompletableFuture<Long> readIndex(long groupId, ReadMode mode) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        submit(groupId, new PeerInput.ReadIndex(mode, f), f);
        return f;
    }

    /** Asks the leader to hand leadership to {@code target}; completes when the request is accepted. */
    public CompletableFuture<Void> transferLeader(long groupId, long target) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        submit(groupId, new PeerInput.TransferLeader(target, f), f);
        return f;
    }

    public CompletableFuture<RaftStatus> status(long groupId) {
        CompletableFuture<RaftStatus> f = new CompletableFuture<>();
        submit(groupId, new PeerInput.Status(f), f);
        return f;
    }

    /** The latest published summary of a hosted group, readable without waiting on its poller. */
    public Optional<GroupSummary> summary(long groupId) {
        GroupPeer p = router.peer(groupId);
        if (p == null) {
            return Optional.empty();
        }
        GroupPeer.Summary s = p.summary;
        return Optional.of(new GroupSummary(groupId, s.role(), s.term(), s.leaderId(), s.commit(),
                p.applier.appliedIndex(), s.lastIndex(), s.quiesced(), p.failure));
    }

    /**
     * Stops hosting a group and deletes its log here. The deletion runs on the poller that holds
     * the group, between two of its cycles, so it never races a write of the group; returns once
     * the log is gone.
     *
     * @throws IllegalArgumentException if the group is not hosted here
     * @throws IllegalStateException    if the deletion failed or did not happen within 30 s
     */
    public void removeGroup(long groupId) {
        try {
            removeGroupAsync(groupId).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while removing group " + groupId, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("removing group " + groupId + " from server " + config.serverId()
                    + " failed: " + e, e);
        }
    }

    /**
     * Like {@link #removeGroup} without waiting: completes once the group's poller deleted its log.
     *
     * @throws IllegalArgumentException if the group is not hosted here
     */
    public CompletableFuture<Void> removeGroupAsync(long groupId) {
        GroupPeer p = router.peer(groupId);
        if (p == null) {
            throw new IllegalArgumentException("group " + groupId + " is not hosted on server " + config.serverId());
        }
        CompletableFuture<Void> done;
        synchronized (p) {
            if (p.destroyRequest == null) {
                p.destroyRequest = new CompletableFuture<>();
            }
            done = p.destroyRequest;
        }
        if (closed) {
            destroyOnPoller(p); // no poller runs any more: nothing can race
            done.complete(null);
        } else {
            router.schedule(p);
        }
        return done;
    }

    private void destroyOnPoller(GroupPeer p) {
        if (router.remove(p.groupId) == null) {
            return; // already destroyed
        }
        p.failure = "removed";
        p.applier.stop();
        RaftRequestException gone = new RaftRequestException(RaftRequestException.Kind.NO_SUCH_GROUP, p.groupId, 0,
                "removed from this server");
        p.proposals.failAll(gone);
        p.reads.failAll(gone);
        failWaiting(p, gone);
        engine.destroyGroup(p.groupId);
    }

    public long serverId() {
        return config.serverId();
    }

    private void submit(long groupId, PeerInput input, CompletableFuture<?> f) {
        if (closed) {
            f.completeExceptionally(new RaftRequestException(RaftRequestException.Kind.CLOSED, groupId, 0, ""));
            return;
        }
        GroupPeer p = router.peer(groupId);
        if (p == null) {
            f.completeExceptionally(new RaftRequestException(RaftRequestException.Kind.NO_SUCH_GROUP, groupId, 0,
                    "not hosted on server " + config.serverId()));
        } else if (p.isFailed()) {
            f.completeExceptionally(new RaftRequestException(RaftRequestException.Kind.GROUP_FAILED, groupId, 0,
                    p.failure));
        } else if (!router.deliver(p, input)) {
            f.completeExceptionally(new RaftRequestException(RaftRequestException.Kind.SERVER_BUSY, groupId, 0,
                    "mailbox full"));
        }
    }

    /**
     * Why this server should be restarted: a poller or apply cycle died of something no group
     * caused, such as an OutOfMemoryError. Empty while none has.
     */
    public Optional<String> threadCrash() {
        return Optional.ofNullable(threadCrash);
    }

    private void threadCrashed(String thread, Throwable cause) {
        if (threadCrash == null) {
            threadCrash = thread + ": " + cause;
        }
        metrics.threadCrashed();
        LOG.log(System.Logger.Level.ERROR, "server " + config.serverId() + ": " + thread
                + " died in a cycle; the server reports itself unhealthy", cause);
    }

    private void failGroup(GroupPeer peer, String why, Throwable cause) {
        if (peer == null || peer.failure != null) {
            return;
        }
        peer.failure = why + ": " + cause;
        failedGroups.incrementAndGet();
        metrics.groupFailed();
        peer.applier.stop();
        RaftRequestException failed = new RaftRequestException(RaftRequestException.Kind.GROUP_FAILED, peer.groupId, 0,
                peer.failure);
        peer.proposals.failAll(failed);
        peer.reads.failAll(failed);
        failWaiting(peer, failed);
        LOG.log(System.Logger.Level.ERROR, "group " + peer.groupId + " stopped on server " + config.serverId()
                + ": " + why, cause);
    }

    /** Requests still in a stopped group's mailbox get {@code why}; its mailbox bytes are given back. */
    private void failWaiting(GroupPeer peer, RaftRequestException why) {
        for (PeerInput input : router.drain(peer)) {
            if (input instanceof PeerInput.Propose p) {
                p.result().completeExceptionally(why);
            } else if (input instanceof PeerInput.ProposeConfChange c) {
                c.result().completeExceptionally(why);
            } else if (input instanceof PeerInput.ReadIndex r) {
                r.result().completeExceptionally(why);
            } else if (input instanceof PeerInput.TransferLeader t) {
                t.result().completeExceptionally(why);
            } else if (input instanceof PeerInput.Status st) {
                st.result().completeExceptionally(why);
            }
        }
    }

    private int groupCount() {
        return router.peers().size();
    }

    private int quiescedGroupCount() {
        int n = 0;
        for (GroupPeer p : router.peers()) {
            if (p.isQuiesced()) {
                n++;
            }
        }
        return n;
    }

    /** Stops threads and the transport; the engine belongs to the caller and stays open. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.close();
        transport.close();
        RaftRequestException closing = new RaftRequestException(RaftRequestException.Kind.CLOSED, 0, 0, "server closed");
        for (GroupPeer p : router.peers()) {
            p.applier.stop();
            p.proposals.failAll(closing);
            p.reads.failAll(closing);
        }
    }
}

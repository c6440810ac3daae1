package io.shardkv.raft.sim;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.core.RandomSource;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.ReadState;
import io.shardkv.raft.core.Ready;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One simulated replica: a {@link RawNode}, its {@link MemoryLogStorage} playing the disk, and a
 * {@link StateMachine} with its applied index. It is the owner loop of the core, doing each Ready
 * in the documented order: send what may go before the write, persist, send the rest, apply
 * (snapshot first), answer reads, advance; then it snapshots and compacts by its
 * {@link SnapshotPolicy}. The observer may crash the node in the middle of the write, after the
 * early messages have left.
 *
 * <p>A crash keeps only the disk, and of the disk only what was synced: a Ready that only moved
 * the commit index ({@link Ready#mustSync()} false) is written without a sync, so a crash takes
 * the persisted commit index back to where the last synced write left it, as a power cut does.
 * A restart rebuilds the core from the disk with
 * {@code applied} set to the latest snapshot and the state machine restored from that snapshot,
 * so the core re-delivers the committed entries after it.
 *
 * <p>Every applied entry extends a hash chain ({@link #chain()}) that travels inside snapshots, so
 * an observer can prove that a node restoring a snapshot ends up with the same history as a node
 * that applied the entries one by one. Snapshot bytes are {@code [chain: 8 bytes][state machine]}.
 *
 * <p>Not thread-safe; the simulation drives it from one thread.
 *
 * @param <S> the application state machine
 */
public final class SimNode<S extends StateMachine> {

    /** Hooks into the owner loop, for invariant checks and client bookkeeping. */
    public interface Observer<S extends StateMachine> {
        /**
         * A Ready is about to be persisted; the disk still holds the previous state and the
         * messages that may go before the write have left. The observer may crash the node here.
         */
        default void beforePersist(SimNode<S> node, Ready rd) {
        }

        /** The Ready's hard state, entries and snapshot are durable; no message has been sent yet. */
        default void onPersisted(SimNode<S> node, Ready rd, HardState before) {
        }

        /** The state machine was replaced by {@code snapshot}; {@code chain} is the restored chain. */
        default void onSnapshotApplied(SimNode<S> node, Snapshot snapshot, long chain) {
        }

        /** A committed entry (of any type) was applied; {@code chain} includes it. */
        default void onApplied(SimNode<S> node, Entry entry, long chain) {
        }

        /** The state machine reached the index of {@code readState}: the read may be answered now. */
        default void onReadReady(SimNode<S> node, ReadState readState) {
        }

        /** The Ready was advanced; {@code membershipChanged} if it applied a membership change. */
        default void onAdvanced(SimNode<S> node, Ready rd, boolean membershipChanged) {
        }
    }

    private final long id;
    private final RaftConfig config;
    private final MemoryLogStorage disk;
    private final Supplier<S> stateMachines;
    private final SnapshotPolicy snapshotPolicy;
    private final SplittableRandom random;
    private final Consumer<Message> transport;
    private final Observer<S> observer;

    /** The persisted commit index as of the last synced write; a crash takes the disk back to it. */
    private long syncedCommit;
    // Everything below is lost in a crash.
    private RawNode raw;
    private S stateMachine;
    // Invariant while up: applied == the index of the last entry or snapshot given to stateMachine.
    private long applied;
    private long chain;
    private long leaderId = RawNode.NONE;
    private Role role = Role.FOLLOWER;
    /** Read states received but not yet answerable, in arrival order. */
    private final List<ReadState> pendingReads = new ArrayList<>();
    private int lives;

    /**
     * @param config   the core configuration; {@code applied} is set from the disk on each start
     * @param disk     the durable storage; survives crashes (bootstrap it for an initial member)
     * @param random   source of the core's seeds, one per life
     * @param transport sends a message on the simulated network
     */
    public SimNode(RaftConfig config, MemoryLogStorage disk, Supplier<S> stateMachines, SnapshotPolicy snapshotPolicy,
                   SplittableRandom random, Consumer<Message> transport, Observer<S> observer) {
        this.id = config.id();
        this.config = config;
        this.disk = disk;
        this.stateMachines = stateMachines;
        this.snapshotPolicy = snapshotPolicy;
        this.random = random;
        this.transport = transport;
        this.observer = observer;
    }

    /** Starts (or restarts) the node from its disk. */
    public void start() {
        if (raw != null) {
            throw new IllegalStateException("node " + id + " is already up");
        }
        Snapshot snapshot = disk.latestSnapshot();
        stateMachine = stateMachines.get();
        restoreFrom(snapshot);
        applied = snapshot.index();
        leaderId = RawNode.NONE;
        role = Role.FOLLOWER;
        lives++;
        syncedCommit = disk.hardState().commit();
        raw = new RawNode(config.withApplied(applied), disk, RandomSource.seeded(random.nextLong()));
    }

    /** Loses everything but the disk, and the disk loses what was written without a sync. */
    public void crash() {
        HardState hs = disk.hardState();
        if (hs.commit() > syncedCommit) {
            disk.setHardState(new HardState(hs.term(), hs.vote(), syncedCommit));
        }
        raw = null;
        stateMachine = null;
        pendingReads.clear();
        leaderId = RawNode.NONE;
        role = Role.FOLLOWER;
    }

    public boolean isUp() {
        return raw != null;
    }

    public long id() {
        return id;
    }

    /** The core of the running node. */
    public RawNode raw() {
        if (raw == null) {
            throw new IllegalStateException("node " + id + " is down");
        }
        return raw;
    }

    public S stateMachine() {
        return stateMachine;
    }

    public MemoryLogStorage disk() {
        return disk;
    }

    public long applied() {
        return applied;
    }

    public long chain() {
        return chain;
    }

    /** Leader as of the last Ready (NONE when unknown or down). */
    public long knownLeader() {
        return leaderId;
    }

    /** Role as of the last Ready. */
    public Role role() {
        return role;
    }

    /** How many times the node was started. */
    public int lives() {
        return lives;
    }

    /** Processes Readys until the core has nothing more to hand out. */
    public void processReadies() {
        while (raw != null && raw.hasReady()) {
            processReady(raw.ready());
        }
    }

    private void processReady(Ready rd) {
        if (rd.softState() != null) {
            leaderId = rd.softState().leaderId();
            role = rd.softState().role();
        }
        // 1. A leader's appends and heartbeats leave while the write is under way.
        for (Message m : rd.messagesBeforePersist()) {
            transport.accept(m);
        }
        // 2. One durable write: snapshot, then the entries after it, then the hard state.
        observer.beforePersist(this, rd);
        if (raw == null) {
            return; // crashed in the middle of the write: the disk holds the previous state
        }
        HardState before = disk.hardState();
        if (rd.snapshot() != null) {
            disk.applySnapshot(rd.snapshot());
        }
        if (!rd.entries().isEmpty()) {
            disk.append(rd.entries());
        }
        if (rd.hardState() != null) {
            disk.setHardState(rd.hardState());
        }
        if (rd.mustSync()) {
            syncedCommit = disk.hardState().commit();
        }
        observer.onPersisted(this, rd, before);
        // 3. Only now may messages promise what was persisted.
        for (Message m : rd.messagesAfterPersist()) {
            transport.accept(m);
        }
        // 4. Apply: the snapshot first, then the committed entries in order.
        boolean membershipChanged = false;
        if (rd.snapshot() != null) {
            if (rd.snapshot().index() <= applied) {
                throw new SimulationViolation("node " + id + " got snapshot " + rd.snapshot() + " at or below applied "
                        + applied);
            }
            restoreFrom(rd.snapshot());
            applied = rd.snapshot().index();
            membershipChanged = true;
            observer.onSnapshotApplied(this, rd.snapshot(), chain);
        }
        for (Entry e : rd.committedEntries()) {
            if (e.index() != applied + 1) {
                throw new SimulationViolation("node " + id + " is handed entry " + e.index() + " to apply after "
                        + applied);
            }
            if (e.type() == EntryType.NORMAL) {
                stateMachine.apply(e.index(), e.data());
            } else if (e.type() == EntryType.CONF_CHANGE) {
                membershipChanged = true;
            }
            applied = e.index();
            chain = extendChain(chain, e);
            observer.onApplied(this, e, chain);
        }
        // 5. Reads wait until the state machine has caught up with their index.
        pendingReads.addAll(rd.readStates());
        answerReads();
        // 6. Done.
        raw.advance(rd);
        observer.onAdvanced(this, rd, membershipChanged);
        maybeSnapshot();
    }

    private void answerReads() {
        for (Iterator<ReadState> it = pendingReads.iterator(); it.hasNext(); ) {
            ReadState rs = it.next();
            if (rs.index() <= applied) {
                it.remove();
                observer.onReadReady(this, rs);
            }
        }
    }

    /**
     * Snapshots right after advance, so the core's membership is exactly the one at the applied
     * index, then compacts all but the retained tail.
     */
    private void maybeSnapshot() {
        if (raw == null || applied - disk.latestSnapshot().index() < snapshotPolicy.intervalEntries()) {
            return;
        }
        disk.createSnapshot(applied, raw.confState(), encodeSnapshot(chain, stateMachine.snapshot()));
        long compactTo = applied - snapshotPolicy.retainedEntries();
        if (compactTo > disk.firstIndex() - 1) {
            disk.compact(compactTo);
        }
        // Snapshot and compaction are synced writes: they sync the commit index written before them.
        syncedCommit = disk.hardState().commit();
    }

    private void restoreFrom(Snapshot snapshot) {
        byte[] data = snapshot.data();
        if (data.length == 0) {
            // The bootstrap snapshot: empty state, empty history.
            chain = 0;
            stateMachine.restore(data);
            return;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        chain = buf.getLong();
        byte[] state = new byte[buf.remaining()];
        buf.get(state);
        stateMachine.restore(state);
    }

    static byte[] encodeSnapshot(long chain, byte[] state) {
        return ByteBuffer.allocate(8 + state.length).putLong(chain).put(state).array();
    }

    /** The chain after applying {@code e}: binds index, term, type and data. */
    public static long extendChain(long chain, Entry e) {
        long h = SimTrace.mix(chain, e.index());
        h = SimTrace.mix(h, e.term());
        h = SimTrace.mix(h, e.type().ordinal());
        return SimTrace.mix(h, SimTrace.hash(e.data()));
    }

    @Override
    public String toString() {
        return raw == null ? "node " + id + " down" : raw.toString();
    }
}

package io.shardkv.raft.core;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.tracker.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One replica of a Raft group, driven by its owner (the etcd RawNode style). Not thread-safe:
 * exactly one thread calls it. Pure: no clocks, threads, files or sockets; time is
 * {@link #tick()} and randomness comes from the injected {@link RandomSource}.
 *
 * <p>The owner loop: feed {@link #tick()}, {@link #step(Message)} and requests; when
 * {@link #hasReady()}, take {@link #ready()}, process it in the order its Javadoc gives, then
 * call {@link #advance(Ready)}. Only one Ready is outstanding at a time.
 */
public final class RawNode {
    /** "No node": no vote, no leader known. Node ids are positive. */
    public static final long NONE = 0;

    private final Raft raft;
    private SoftState lastSoftState;
    private HardState lastHardState;
    /** The Ready handed out and not yet advanced, or null. */
    private Ready outstanding;

    /**
     * Starts (or restarts) a replica from what {@code storage} holds. A new group's storage
     * holds its initial membership in {@link LogStorage#initialState()}.
     */
    private long applyBudget = Long.MAX_VALUE;

    public RawNode(RaftConfig config, LogStorage storage, RandomSource random) {
        this.raft = new Raft(config, storage, random);
        this.lastSoftState = new SoftState(raft.leaderId(), raft.role());
        // What is stored, not what the core starts with: a commit index the core raised to the
        // state machine's applied index (see Raft's constructor) goes out in the first Ready.
        this.lastHardState = storage.initialState().hardState();
    }

    /** Advances logical time by one tick (elections, heartbeats, CheckQuorum). */
    public void tick() {
        raft.tick();
    }

    /** Handles a message from another replica of this group. */
    public void step(Message m) {
        if (m.to() != raft.id()) {
            throw new IllegalArgumentException("message for " + m.to() + " delivered to " + raft.id() + ": " + m);
        }
        raft.step(m);
    }

    /** Proposes an application command; only a leader accepts. */
    public ProposeResult propose(byte[] data) {
        return raft.propose(data);
    }

    /** Proposes a membership change; only one may be pending at a time. */
    public ProposeResult proposeConfChange(ConfChange cc) {
        return raft.proposeConfChange(cc);
    }

    /**
     * Asks for a read index. The answer arrives as a {@link ReadState} with the same non-zero
     * {@code requestId} in a later Ready, or never if leadership is lost meanwhile (callers time out).
     */
    public ProposeResult readIndex(long requestId, ReadMode mode) {
        return raft.readIndex(requestId, mode);
    }

    /**
     * Asks the leader to hand leadership to {@code target}. Proposals are refused until the
     * transfer succeeds or is abandoned after an election timeout.
     */
    public ProposeResult transferLeader(long target) {
        return raft.transferLeader(target);
    }

    /** The transport could not reach {@code to}: stop pipelining to it and probe. */
    public void reportUnreachable(long to) {
        raft.reportUnreachable(to);
    }

    /** The outcome of sending a snapshot to {@code to}. */
    public void reportSnapshot(long to, boolean success) {
        raft.reportSnapshot(to, success);
    }

    /** The node-level failure detector says the leader's server is down; resume elections. */
    public void reportLeaderDown() {
        raft.reportLeaderDown();
    }

    /** Resumes ticking if quiesced. Messages, proposals and reads wake a group by themselves. */
    public void wake() {
        raft.wake();
    }

    /**
     * Messages dropped because no correct peer could have sent them (an append, heartbeat,
     * snapshot or quiesce claiming this leader's own term), since this node was created.
     */
    public long impossibleMessages() {
        return raft.impossibleMessages();
    }

    public boolean isQuiesced() {
        return raft.isQuiesced();
    }

    // The few fields an owner reads after every Ready, without the copies status() makes of the
    // membership and of each follower's progress.

    public Role role() {
        return raft.role();
    }

    public long term() {
        return raft.term();
    }

    public long leaderId() {
        return raft.leaderId();
    }

    public long committed() {
        return raft.log.committed();
    }

    public long lastIndex() {
        return raft.log.lastIndex();
    }

    /**
     * Bounds the committed entries the next Readys carry: at most {@code maxBytes} of payload (at
     * least one entry when {@code maxBytes > 0}), none at 0. The owner's appliers are behind, and
     * the entries wait in the log rather than in memory; everything else (persisting, sending,
     * committing) goes on. {@code Long.MAX_VALUE} lifts the bound.
     */
    public void setApplyBudget(long maxBytes) {
        applyBudget = Math.max(0, maxBytes);
    }

    /** See {@code Raft.retainFloor}: what log retention keeps for the group's slowest member. */
    public long retainFloor() {
        return raft.retainFloor();
    }

    public boolean isApplyPaused() {
        return applyBudget == 0;
    }

    public boolean hasReady() {
        if (outstanding != null) {
            return false;
        }
        return !new SoftState(raft.leaderId(), raft.role()).equals(lastSoftState)
                || !raft.hardState().equals(lastHardState)
                || !raft.log.unstableEntries().isEmpty()
                || raft.log.hasPendingSnapshot()
                || raft.hasMessages()
                || (applyBudget > 0 && raft.log.hasNextCommittedEntries())
                || raft.hasReadStates();
    }

    /** Collects the work for the owner. Throws if the previous Ready was not advanced. */
    public Ready ready() {
        if (outstanding != null) {
            throw new IllegalStateException("previous Ready of node " + raft.id() + " not advanced");
        }
        SoftState soft = new SoftState(raft.leaderId(), raft.role());
        HardState hard = raft.hardState();
        List<Message> early = new ArrayList<>();
        List<Message> late = new ArrayList<>();
        boolean sameTermAndVote = hard.term() == lastHardState.term() && hard.vote() == lastHardState.vote();
        long stable = raft.log.lastStableIndex();
        for (Message m : raft.takeMessages()) {
            (sameTermAndVote && sendableBeforePersist(m, stable) ? early : late).add(m);
        }
        int sendableEarly = early.size();
        early.addAll(late);
        List<Entry> entries = raft.log.unstableEntries();
        Snapshot snapshot = raft.log.pendingSnapshot();
        Ready rd = new Ready(
                soft.equals(lastSoftState) ? null : soft,
                hard.equals(lastHardState) ? null : hard,
                entries,
                snapshot,
                early,
                sendableEarly,
                applyBudget == 0 ? List.of() : raft.log.nextCommittedEntries(applyBudget),
                raft.takeReadStates(),
                mustSync(entries, snapshot, hard, sameTermAndVote));
        lastSoftState = soft;
        outstanding = rd;
        return rd;
    }

    /**
     * Newly committed entries looked at for a membership change before the Ready is synced
     * without looking: a commit index that jumps further (a replica catching up) is rare, and
     * reading the whole jump on the poller could be large.
     */
    static final int MAX_COMMITTED_ENTRIES_SCANNED = 1024;
    static final long MAX_COMMITTED_BYTES_SCANNED = 4L << 20;

    /**
     * Whether the Ready's write must be synced. Entries, a snapshot, a term or a vote always
     * must. A commit index alone need not (it is volatile state, thesis 3.8), unless it commits a
     * membership change: membership takes effect as changes commit, and a replica that forgot
     * such a commit in a power cut could keep asking a removed member (already gone) for votes
     * while the others, who left that configuration, cannot out-vote its longer log.
     */
    private boolean mustSync(List<Entry> entries, Snapshot snapshot, HardState hard, boolean sameTermAndVote) {
        return !entries.isEmpty() || snapshot != null || !sameTermAndVote
                || raft.log.mayHaveConfChangeIn(lastHardState.commit(), hard.commit(), MAX_COMMITTED_ENTRIES_SCANNED,
                        MAX_COMMITTED_BYTES_SCANNED);
    }

    /**
     * Whether {@code m} may leave before the Ready it is in is durable, given that the term and the
     * vote are the durable ones. A leader's appends and heartbeats carry entries and a commit
     * index, not promises about this Ready: a follower writes the entries to its own disk before it
     * acknowledges them. What they must not carry is a commit index past the log durable here. The
     * leader counts its own copy of an entry from the moment it appends it, so with a single voter
     * an entry commits before it is written, and a learner told so could apply an entry that a
     * crash of the leader then takes back. (With more voters, the acknowledgements that commit an
     * entry leave the core only in a later Ready, which the owner takes after this one's write.)
     */
    private static boolean sendableBeforePersist(Message m, long lastStable) {
        return (m.type() == MessageType.APPEND || m.type() == MessageType.HEARTBEAT) && m.commit() <= lastStable;
    }

    /** Tells the core the owner has persisted, sent and applied everything in {@code rd}. */
    public void advance(Ready rd) {
        if (rd != outstanding) {
            throw new IllegalStateException("advance with a Ready that is not the outstanding one");
        }
        outstanding = null;
        if (rd.hardState() != null) {
            lastHardState = rd.hardState();
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().get(rd.entries().size() - 1);
            raft.log.stableTo(last.index(), last.term());
        }
        if (rd.snapshot() != null) {
            raft.log.stableSnapshotTo(rd.snapshot().index());
            raft.log.appliedSnapshot(rd.snapshot().index());
        }
        raft.onEntriesApplied(rd.committedEntries());
    }

    /** The membership currently in force at this replica. */
    public ConfState confState() {
        return raft.membership().toConfState();
    }

    public long id() {
        return raft.id();
    }

    public RaftStatus status() {
        Map<Long, RaftStatus.ReplicaStatus> replicas = new TreeMap<>();
        LeaderState leader = raft.leaderStateOrNull();
        if (leader != null) {
            for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
                Progress p = e.getValue();
                replicas.put(e.getKey(), new RaftStatus.ReplicaStatus(e.getKey(), p.match(), p.next(),
                        p.state().name(), p.isLearner(), p.inflights().count(), p.inflights().bytes(),
                        p.pendingSnapshot(), p.isPaused(), p.recentActive(), p.inactiveTicks()));
            }
        }
        return new RaftStatus(raft.id(), raft.role(), raft.term(), raft.vote(), raft.leaderId(),
                raft.log.committed(), raft.log.applied(), raft.log.firstIndex(), raft.log.lastIndex(), confState(),
                raft.isQuiesced(), leader == null ? NONE : leader.transferee, replicas);
    }

    /** Package-private access for tests in this package. */
    Raft raft() {
        return raft;
    }

    @Override
    public String toString() {
        return raft.toString();
    }

}

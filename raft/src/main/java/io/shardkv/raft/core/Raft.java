package io.shardkv.raft.core;

import static io.shardkv.raft.core.RawNode.NONE;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.MembershipConfig;
import io.shardkv.raft.core.log.RaftLog;
import io.shardkv.raft.core.quorum.VoteResult;
import io.shardkv.raft.core.tracker.Progress;
import io.shardkv.raft.core.tracker.ProgressState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Raft state machine of one replica. Pure: it reacts to ticks, messages and requests, and
 * leaves messages and read states for {@link RawNode} to hand out.
 *
 * <p>This class owns every role transition:
 * <pre>
 *  from            event                                          to
 *  FOLLOWER        election timeout (PreVote on)                  PRE_CANDIDATE
 *  FOLLOWER        election timeout (PreVote off), TimeoutNow     CANDIDATE
 *  PRE_CANDIDATE   quorum of pre-votes                            CANDIDATE (term + 1)
 *  PRE_CANDIDATE   pre-vote lost, or append/heartbeat/snapshot    FOLLOWER
 *  CANDIDATE       quorum of votes                                LEADER
 *  CANDIDATE       vote lost, or append/heartbeat/snapshot        FOLLOWER
 *  LEADER          CheckQuorum fails, or removed from the group   FOLLOWER
 *  any             message with a higher term                     FOLLOWER (that term)
 * </pre>
 * A higher-term pre-vote request, or a granted pre-vote response, does not change the term.
 *
 * <p>Invariant: {@code vote} is NONE or a node this replica voted for in {@code term}.
 */
final class Raft {
    private static final int MAX_PENDING_READS = 4096;

    private final long id;
    private final RaftConfig config;
    private final RandomSource random;
    final RaftLog log;

    private long term;
    private long vote;
    private MembershipConfig membership;
    private RoleState role;

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    /**
     * Ticks since start, until an election timeout has passed. A restarted replica does not
     * remember whether it heard from a leader recently, so it refuses votes that would cut a
     * live leader's lease short until a full election timeout has passed.
     */
    private int startupTicks;
    private boolean quiesced;

    private List<Message> outbox = new ArrayList<>();
    private List<ReadState> readStates = new ArrayList<>();

    Raft(RaftConfig config, LogStorage storage, RandomSource random) {
        this.id = config.id();
        this.config = config;
        this.random = random;
        this.log = new RaftLog(storage, config.maxCommittedBytesPerReady());
        LogStorage.InitialState init = storage.initialState();
        this.membership = MembershipConfig.fromConfState(init.confState());
        HardState hs = init.hardState();
        if (hs.commit() > log.lastIndex()) {
            throw new IllegalStateException("stored commit " + hs.commit() + " beyond last index " + log.lastIndex());
        }
        this.term = hs.term();
        this.vote = hs.vote();
        log.commitTo(hs.commit());
        long applied = Math.min(Math.max(config.applied(), log.firstIndex() - 1), log.committed());
        // The stored membership already includes every change up to its own index; replaying
        // those again (from a log tail retained below the snapshot) would apply them twice.
        replayConfChanges(Math.max(log.firstIndex(), init.confStateIndex() + 1), applied);
        log.appliedTo(applied);
        this.role = new FollowerState(NONE);
        resetRandomizedElectionTimeout();
    }

    /** Re-applies membership changes the state machine had already applied before a restart. */
    private void replayConfChanges(long from, long to) {
        for (long i = from; i <= to; ) {
            List<Entry> batch = log.slice(i, to + 1, config.maxCommittedBytesPerReady());
            for (Entry e : batch) {
                if (e.type() == EntryType.CONF_CHANGE) {
                    membership = membership.applyCommitted(ConfChange.decode(e.data()), e.index());
                }
            }
            i += batch.size();
        }
    }

    // ---------------------------------------------------------------- accessors

    long id() { return id; }
    long term() { return term; }
    long vote() { return vote; }
    Role role() { return role.role(); }
    MembershipConfig membership() { return membership; }
    boolean isQuiesced() { return quiesced; }
    HardState hardState() { return new HardState(term, vote, log.committed()); }
    RaftConfig config() { return config; }

    long leaderId() {
        if (role instanceof FollowerState f) {
            return f.leaderId;
        }
        return role instanceof LeaderState ? id : NONE;
    }

    LeaderState leaderStateOrThrow() {
        if (role instanceof LeaderState l) {
            return l;
        }
        throw new IllegalStateException("node " + id + " is " + role.role() + ", not leader, in term " + term);
    }

    LeaderState leaderStateOrNull() {
        return role instanceof LeaderState l ? l : null;
    }

    List<Message> takeMessages() {
        List<Message> out = outbox;
        outbox = new ArrayList<>();
        return out;
    }

    boolean hasMessages() {
        return !outbox.isEmpty();
    }

    List<ReadState> takeReadStates() {
        List<ReadState> out = readStates;
        readStates = new ArrayList<>();
        return out;
    }

    boolean hasReadStates() {
        return !readStates.isEmpty();
    }

    // ---------------------------------------------------------------- transitions

    private void reset(long newTerm) {
        if (term != newTerm) {
            term = newTerm;
            vote = NONE;
        }
        electionElapsed = 0;
        heartbeatElapsed = 0;
        resetRandomizedElectionTimeout();
    }

    private void resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = config.electionTicks() + random.nextInt(config.electionTicks());
    }

    void becomeFollower(long newTerm, long leader) {
        reset(newTerm);
        role = new FollowerState(leader);
    }

    private void becomePreCandidate() {
        if (role instanceof LeaderState) {
            throw new IllegalStateException("leader " + id + " cannot become pre-candidate in term " + term);
        }
        // PreVote does not touch the term or vote: losing it must leave no trace.
        role = new CandidateState(true);
    }

    private void becomeCandidate() {
        if (role instanceof LeaderState) {
            throw new IllegalStateException("leader " + id + " cannot become candidate in term " + term);
        }
        reset(term + 1);
        vote = id;
        role = new CandidateState(false);
    }

    private void becomeLeader() {
        if (role instanceof FollowerState) {
            throw new IllegalStateException("follower " + id + " cannot become leader in term " + term);
        }
        reset(term);
        LeaderState leader = new LeaderState(MAX_PENDING_READS);
        role = leader;
        long last = log.lastIndex();
        for (long member : membership.members()) {
            Progress pr = newProgress(member, last);
            leader.progress.put(member, pr);
        }
        Progress self = leader.progress.get(id);
        if (self != null) {
            // Absent when a removed replica leads only to hand over (see maybeCampaignToHandOver).
            self.maybeUpdate(last);
            self.markActive();
        }
        leader.pendingConfIndex = last;
        // A leader may only count entries of its own term towards commit (5.4.2), so it appends
        // an empty entry right away to commit everything before it.
        appendEntries(List.of(Entry.noOp(term, last + 1)));
    }

    private Progress newProgress(long member, long lastIndex) {
        return new Progress(0, lastIndex + 1, membership.learners().contains(member), config.maxInflightMsgs(),
                config.maxInflightBytes());
    }

    private boolean promotable() {
        return membership.isVoter(id) && !log.hasPendingSnapshot();
    }

    // ---------------------------------------------------------------- ticks

    void tick() {
        if (startupTicks < config.electionTicks()) {
            startupTicks++;
        }
        if (quiesced) {
            return;
        }
        if (role instanceof LeaderState leader) {
            tickLeader(leader);
        } else {
            tickElection();
        }
    }

    private void tickElection() {
        electionElapsed++;
        if (electionElapsed < randomizedElectionTimeout) {
            return;
        }
        if (promotable()) {
            electionElapsed = 0;
            hup(false);
        } else if (role instanceof CandidateState) {
            // A removed replica campaigning to hand over (maybeCampaignToHandOver) gives up
            // after an election timeout, or, its answers lost, it would stay candidate for good.
            becomeFollower(term, NONE);
        }
    }

    private void tickLeader(LeaderState leader) {
        heartbeatElapsed++;
        electionElapsed++;
        leader.leaderTicks++;
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            if (e.getKey() == id) {
                continue;
            }
            Progress pr = e.getValue();
            pr.tickInactive();
            if (pr.state() == ProgressState.SNAPSHOT && pr.tickSnapshot() > config.snapshotTimeoutTicks()) {
                // No news of the snapshot at all: assume it was lost and start over from what the
                // follower is known to hold (becomeProbe would assume it had arrived).
                pr.snapshotFailed();
            }
        }
        if (leader.transferee != NONE && ++leader.transferElapsedTicks >= config.electionTicks()) {
            abortLeaderTransfer(leader);
        }
        boolean removed = !membership.isMember(id);
        if (removed && leader.transferee == NONE) {
            handOver(leader);
            if (role != leader) {
                return;
            }
        }
        if (electionElapsed >= config.electionTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum()) {
                // A removed leader keeps leading until it has handed over (see handOver); its lease
                // is off meanwhile, since a transfer is always in progress.
                if (!removed && !quorumActive(leader)) {
                    becomeFollower(term, NONE);
                    return;
                }
                for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
                    if (e.getKey() != id) {
                        e.getValue().clearRecentActive();
                    }
                }
            }
        }
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            // An idle group quiesces instead of running one more heartbeat round: the QUIESCE
            // message carries the commit index and gets no answer, whereas heartbeat responses
            // (like any message) would wake the leader again right away.
            if (!maybeQuiesce(leader)) {
                broadcastHeartbeat(leader, leader.reads.newestTag());
            }
        }
    }

    private boolean quorumActive(LeaderState leader) {
        Map<Long, Boolean> active = new HashMap<>();
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            active.put(e.getKey(), e.getKey() == id || e.getValue().recentActive());
        }
        return membership.voters().voteResult(active) == VoteResult.WON;
    }

    // ---------------------------------------------------------------- quiescence

    /**
     * An idle group stops ticking: every member holds and knows the whole committed log, nothing
     * is in flight, and no membership change, transfer or read is pending. Returns whether it
     * quiesced.
     */
    private boolean maybeQuiesce(LeaderState leader) {
        if (!config.quiesce() || quiesced) {
            return false;
        }
        long last = log.lastIndex();
        if (log.committed() != last || log.applied() != last || membership.isJoint()
                || leader.transferee != NONE || !leader.reads.isEmpty() || !leader.readsBeforeFirstCommit.isEmpty()) {
            return false;
        }
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            Progress pr = e.getValue();
            if (e.getKey() != id && (pr.match() != last || pr.state() != ProgressState.REPLICATE
                    || pr.inflights().count() > 0 || !pr.recentActive())) {
                return false;
            }
        }
        long lastTerm = log.lastTerm();
        for (long member : leader.progress.keySet()) {
            if (member != id) {
                send(Message.builder(MessageType.QUIESCE).to(member).term(term).index(last).logTerm(lastTerm)
                        .commit(log.committed()).build());
            }
        }
        quiesced = true;
        return true;
    }

    /**
     * Resumes ticking. A leader forgets the evidence behind its lease, which is stale after a
     * pause; a follower restarts its election timer.
     */
    void wake() {
        if (!quiesced) {
            return;
        }
        quiesced = false;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        if (role instanceof LeaderState leader) {
            leader.ackedHeartbeatStamp.clear();
            for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
                if (e.getKey() != id) {
                    e.getValue().clearRecentActive();
                }
            }
        }
    }

    // ---------------------------------------------------------------- elections

    private void hup(boolean transfer) {
        if (role instanceof LeaderState || !promotable()) {
            return;
        }
        if (hasUnappliedConfChange()) {
            // The outcome of the election could depend on a membership that is not applied yet.
            return;
        }
        if (transfer) {
            campaign(false, true);
        } else {
            campaign(config.preVote(), false);
        }
    }

    private boolean hasUnappliedConfChange() {
        long lo = log.applied() + 1;
        long hi = log.committed() + 1;
        if (lo >= hi) {
            return false;
        }
        for (long i = Math.max(lo, log.firstIndex()); i < hi; ) {
            List<Entry> batch = log.slice(i, hi, config.maxCommittedBytesPerReady());
            for (Entry e : batch) {
                if (e.type() == EntryType.CONF_CHANGE) {
                    return true;
                }
            }
            i += batch.size();
        }
        return false;
    }

    private void campaign(boolean preVote, boolean transfer) {
        long voteTerm;
        MessageType type;
        if (preVote) {
            becomePreCandidate();
            voteTerm = term + 1;
            type = MessageType.PRE_VOTE;
        } else {
            becomeCandidate();
            voteTerm = term;
            type = MessageType.VOTE;
        }
        if (recordVote(id, true) == VoteResult.WON) {
            // A group of one wins at once.
            if (preVote) {
                campaign(false, transfer);
            } else {
                becomeLeader();
            }
            return;
        }
        long lastIndex = log.lastIndex();
        long lastTerm = log.lastTerm();
        for (long voter : membership.voters().ids()) {
            if (voter != id) {
                send(Message.builder(type).to(voter).term(voteTerm).index(lastIndex).logTerm(lastTerm)
                        .transfer(transfer).build());
            }
        }
    }

    private VoteResult recordVote(long voter, boolean granted) {
        CandidateState c = (CandidateState) role;
        c.votes.putIfAbsent(voter, granted);
        return membership.voters().voteResult(c.votes);
    }

    // ---------------------------------------------------------------- step

    void step(Message m) {
        if (m.type() != MessageType.QUIESCE) {
            wake();
        }
        if (m.term() > term) {
            if (m.type() == MessageType.VOTE || m.type() == MessageType.PRE_VOTE) {
                if (!m.transfer() && inLease()) {
                    // Thesis 4.2.3: a replica that heard from a leader within the minimum election
                    // timeout ignores campaigns, so a removed or partitioned node cannot disrupt.
                    return;
                }
            }
            if (m.type() == MessageType.PRE_VOTE
                    || (m.type() == MessageType.PRE_VOTE_RESPONSE && !m.reject())) {
                // Pre-votes never change terms; a granted pre-vote carries the term we would
                // campaign in, which we only adopt when we actually campaign.
            } else if (m.type() == MessageType.APPEND || m.type() == MessageType.HEARTBEAT
                    || m.type() == MessageType.SNAPSHOT || m.type() == MessageType.QUIESCE) {
                becomeFollower(m.term(), m.from());
            } else {
                becomeFollower(m.term(), NONE);
            }
        } else if (m.term() < term) {
            if (m.type() == MessageType.APPEND || m.type() == MessageType.HEARTBEAT) {
                // A leader behind our term must learn of it (5.1); the response carries our term.
                // Without it, a replica that cannot campaign to force a new term (a learner, a
                // voter that has not applied its own promotion yet, a removed replica) would
                // ignore the leader for good and, if its ack is needed, stall the group.
                send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(term).build());
            } else if (m.type() == MessageType.PRE_VOTE) {
                send(Message.builder(MessageType.PRE_VOTE_RESPONSE).to(m.from()).term(term).reject(true).build());
            } else if (m.type() == MessageType.VOTE) {
                // Reject with our term (5.1): a candidate that never hears of it may only ever ask
                // voters that ignore it while the voters that could elect it campaign in terms
                // it cannot reach, and the group stalls.
                send(Message.builder(MessageType.VOTE_RESPONSE).to(m.from()).term(term).reject(true).build());
            }
            return;
        }

        switch (m.type()) {
            case VOTE, PRE_VOTE -> handleVoteRequest(m);
            default -> {
                if (role instanceof FollowerState f) {
                    stepFollower(f, m);
                } else if (role instanceof CandidateState c) {
                    stepCandidate(c, m);
                } else {
                    stepLeader((LeaderState) role, m);
                }
            }
        }
    }

    private boolean inLease() {
        if (!config.checkQuorum()) {
            return false;
        }
        if (startupTicks < config.electionTicks()) {
            return true;
        }
        return leaderId() != NONE && electionElapsed < config.electionTicks();
    }

    private void handleVoteRequest(Message m) {
        boolean pre = m.type() == MessageType.PRE_VOTE;
        MessageType respType = pre ? MessageType.PRE_VOTE_RESPONSE : MessageType.VOTE_RESPONSE;
        boolean canVote = vote == m.from()
                || (vote == NONE && leaderId() == NONE)
                || (pre && m.term() > term);
        if (canVote && log.isUpToDate(m.index(), m.logTerm())) {
            // Answer in the candidate's term so it counts the vote (for PreVote that is the
            // term it would campaign in; ours stays unchanged).
            send(Message.builder(respType).to(m.from()).term(m.term()).build());
            if (!pre) {
                electionElapsed = 0;
                vote = m.from();
            }
        } else {
            send(Message.builder(respType).to(m.from()).term(term).reject(true).build());
            if (!log.isUpToDate(m.index(), m.logTerm())) {
                maybeCampaignToHandOver();
            }
        }
    }

    /**
     * A removed replica never campaigns on its own. But when it refuses a candidate whose log is
     * behind its own, the group may need it: if it led when it applied its removal and crashed (or
     * lost contact) before handing over, it may hold entries nobody else has, while members that
     * have not yet learned that the change committed still need its vote, which it must refuse
     * them. It then campaigns under its applied membership, where it is no voter: a majority of
     * that membership must elect it, so every other candidate's quorum intersects its own. As
     * leader it only hands over (see handOver).
     */
    private void maybeCampaignToHandOver() {
        if (membership.isMember(id) || !(role instanceof FollowerState) || log.hasPendingSnapshot()
                || hasUnappliedConfChange() || membership.voters().ids().isEmpty()) {
            return;
        }
        campaign(config.preVote(), false);
    }

    private void stepFollower(FollowerState f, Message m) {
        switch (m.type()) {
            case APPEND -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                handleAppendEntries(m);
            }
            case HEARTBEAT -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                handleHeartbeat(m);
            }
            case SNAPSHOT -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                handleSnapshot(m);
            }
            case QUIESCE -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                handleQuiesce(m);
            }
            case TIMEOUT_NOW -> hup(true);
            case TRANSFER_LEADER -> {
                if (f.leaderId != NONE) {
                    send(m.toBuilder().to(f.leaderId).build());
                }
            }
            case READ_INDEX_RESPONSE -> readStates.add(new ReadState(m.index(), m.readRequestId()));
            default -> {
                // Responses from an earlier role and requests meant for a leader are dropped;
                // their senders time out and retry.
            }
        }
    }

    private void stepCandidate(CandidateState c, Message m) {
        switch (m.type()) {
            case APPEND, HEARTBEAT, SNAPSHOT, QUIESCE -> {
                // Someone won this term: follow it.
                becomeFollower(m.term(), m.from());
                stepFollower((FollowerState) role, m);
            }
            case VOTE_RESPONSE, PRE_VOTE_RESPONSE -> {
                if ((m.type() == MessageType.PRE_VOTE_RESPONSE) != c.preVote) {
                    return;
                }
                VoteResult result = recordVote(m.from(), !m.reject());
                if (result == VoteResult.WON) {
                    if (c.preVote) {
                        campaign(false, false);
                    } else {
                        becomeLeader();
                        broadcastAppend();
                    }
                } else if (result == VoteResult.LOST) {
                    becomeFollower(term, NONE);
                }
            }
            default -> {
                // Nothing else concerns a candidate.
            }
        }
    }

    private void stepLeader(LeaderState leader, Message m) {
        switch (m.type()) {
            case APPEND_RESPONSE -> handleAppendResponse(leader, m);
            case HEARTBEAT_RESPONSE -> handleHeartbeatResponse(leader, m);
            case READ_INDEX -> handleReadIndexRequest(leader, m.from(), m.readRequestId(), ReadMode.SAFE);
            case TRANSFER_LEADER -> handleTransferLeader(leader, m.index());
            case APPEND, HEARTBEAT, SNAPSHOT, QUIESCE -> throw new IllegalStateException(
                    "two leaders in term " + term + ": " + id + " got " + m);
            default -> {
                // Stale vote responses and the like.
            }
        }
    }

    // ---------------------------------------------------------------- follower side of replication

    private void handleAppendEntries(Message m) {
        if (m.index() < log.committed()) {
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(term).index(log.committed()).build());
            return;
        }
        long lastNew = log.maybeAppend(m.index(), m.logTerm(), m.commit(), m.entries());
        if (lastNew >= 0) {
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(term).index(lastNew).build());
            return;
        }
        // Fast backtracking: tell the leader the last index at or below its probe whose term is
        // not above the probe's term, and that term, so it can skip a whole term per round trip.
        long hintIndex = log.findConflictByTerm(Math.min(m.index(), log.lastIndex()), m.logTerm());
        long hintTerm = log.termOrZero(hintIndex);
        send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(term).index(m.index())
                .reject(true).rejectHint(hintIndex).logTerm(hintTerm).build());
    }

    private void handleHeartbeat(Message m) {
        // The leader sends a commit no higher than what it knows this follower holds.
        log.commitTo(Math.min(m.commit(), log.lastIndex()));
        send(Message.builder(MessageType.HEARTBEAT_RESPONSE).to(m.from()).term(term).index(m.index())
                .readRequestId(m.readRequestId()).build());
    }

    private void handleQuiesce(Message m) {
        if (log.lastIndex() == m.index() && log.matchTerm(m.index(), m.logTerm())) {
            log.commitTo(m.commit());
            quiesced = true;
        }
    }

    private void handleSnapshot(Message m) {
        Snapshot snap = m.snapshot();
        if (restore(snap)) {
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(term).index(log.lastIndex()).build());
        } else {
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).term(term).index(log.committed()).build());
        }
    }

    /** Installs a leader's snapshot unless the log already covers it; returns whether it did. */
    private boolean restore(Snapshot snap) {
        if (snap.index() <= log.committed()) {
            return false;
        }
        if (log.matchTerm(snap.index(), snap.term())) {
            // We already hold that entry: just learn that it is committed.
            log.commitTo(snap.index());
            return false;
        }
        log.restore(snap);
        membership = MembershipConfig.fromConfState(snap.metadata().confState());
        return true;
    }

    // ---------------------------------------------------------------- leader side of replication

    private void appendEntries(List<Entry> entries) {
        LeaderState leader = leaderStateOrThrow();
        long index = log.lastIndex();
        List<Entry> stamped = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            stamped.add(e.withTermAndIndex(term, ++index));
        }
        long last = log.append(stamped);
        Progress self = leader.progress.get(id);
        if (self != null) {
            self.maybeUpdate(last);
        }
        maybeCommit(leader);
    }

    private boolean maybeCommit(LeaderState leader) {
        long index = membership.voters().committedIndex(voter -> {
            Progress pr = leader.progress.get(voter);
            return pr == null ? -1 : pr.match();
        });
        boolean committedInTerm = log.termOrZero(log.committed()) == term;
        if (index == Long.MAX_VALUE || !log.maybeCommit(index, term)) {
            return false;
        }
        if (!committedInTerm) {
            releaseReadsBeforeFirstCommit(leader);
        }
        return true;
    }

    private void broadcastAppend() {
        LeaderState leader = leaderStateOrThrow();
        for (long member : leader.progress.keySet()) {
            if (member != id) {
                maybeSendAppend(leader, member, true);
            }
        }
    }

    /**
     * Sends the next entries (or a probe) to {@code to} unless its progress is paused. Returns
     * whether a message was sent.
     */
    private boolean maybeSendAppend(LeaderState leader, long to, boolean sendIfEmpty) {
        Progress pr = leader.progress.get(to);
        if (pr == null || pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next() - 1;
        if (!log.termAvailable(prevIndex)) {
            return maybeSendSnapshot(to, pr);
        }
        long prevTerm = log.termOrZero(prevIndex);
        List<Entry> entries = log.entriesFrom(pr.next(), config.maxSizePerMsgBytes());
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        long bytes = 0;
        for (Entry e : entries) {
            bytes += e.payloadBytes();
        }
        long lastSent = entries.isEmpty() ? prevIndex : entries.get(entries.size() - 1).index();
        send(Message.builder(MessageType.APPEND).to(to).term(term).index(prevIndex).logTerm(prevTerm)
                .entries(entries).commit(log.committed()).build());
        pr.sentEntries(entries.size(), lastSent, bytes);
        return true;
    }

    private boolean maybeSendSnapshot(long to, Progress pr) {
        if (!pr.recentActive()) {
            // Building and shipping a snapshot to a replica that may be down wastes both ends.
            return false;
        }
        LogStorage.SnapshotResult result = log.storage().snapshot(pr.next() - 1);
        if (!(result instanceof LogStorage.SnapshotResult.Available available)) {
            // Temporarily unavailable: storage is still building it; the next heartbeat
            // response from this follower asks again.
            return false;
        }
        Snapshot snap = available.snapshot();
        if (snap.index() == 0) {
            throw new IllegalStateException("storage returned an empty snapshot for follower " + to);
        }
        send(Message.builder(MessageType.SNAPSHOT).to(to).term(term).snapshot(snap).build());
        pr.becomeSnapshot(snap.index());
        return true;
    }

    private void handleAppendResponse(LeaderState leader, Message m) {
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
        if (maybeCommit(leader)) {
            broadcastAppend();
        } else if (wasPaused) {
            maybeSendAppend(leader, m.from(), true);
        }
        while (role == leader && maybeSendAppend(leader, m.from(), false)) {
            // Fill the inflight window.
        }
        if (role == leader && m.from() == leader.transferee && pr.match() == log.lastIndex()) {
            sendTimeoutNow(leader, m.from());
        }
    }

    private void handleHeartbeatResponse(LeaderState leader, Message m) {
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
        if (pr.match() < log.lastIndex() || pr.state() == ProgressState.PROBE) {
            maybeSendAppend(leader, m.from(), true);
        }
        if (m.readRequestId() != 0) {
            // In heartbeats and their responses readRequestId is the leader's round tag.
            var acks = leader.reads.ack(m.from(), m.readRequestId());
            if (acks != null && quorumOf(acks)) {
                for (ReadIndexQueue.Request r : leader.reads.advance(m.readRequestId())) {
                    answerRead(r.from(), r.index(), r.requestId());
                }
            }
        }
    }

    private boolean quorumOf(java.util.Set<Long> acks) {
        Map<Long, Boolean> votes = new HashMap<>();
        for (long voter : acks) {
            votes.put(voter, true);
        }
        return membership.voters().voteResult(votes) == VoteResult.WON;
    }

    private void broadcastHeartbeat(LeaderState leader, long readTag) {
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            if (e.getKey() == id) {
                continue;
            }
            long commit = Math.min(e.getValue().match(), log.committed());
            send(Message.builder(MessageType.HEARTBEAT).to(e.getKey()).term(term).commit(commit)
                    .index(leader.leaderTicks).readRequestId(readTag).build());
        }
    }

    // ---------------------------------------------------------------- proposals

    ProposeResult propose(byte[] data) {
        return proposeEntry(new Entry(0, 0, EntryType.NORMAL, data));
    }

    ProposeResult proposeConfChange(ConfChange cc) {
        LeaderState leader = leaderStateOrNull();
        if (leader != null && leader.pendingConfIndex > log.applied()) {
            return new ProposeResult.Dropped(DropReason.CONF_CHANGE_PENDING, id,
                    "membership change at index " + leader.pendingConfIndex + " not applied yet (applied "
                            + log.applied() + ")");
        }
        if (leader != null && membership.apply(cc) instanceof MembershipConfig.ChangeResult.Invalid invalid) {
            return new ProposeResult.Dropped(DropReason.INVALID_CONF_CHANGE, id, invalid.reason());
        }
        ProposeResult result = proposeEntry(new Entry(0, 0, EntryType.CONF_CHANGE, cc.encode()));
        if (result instanceof ProposeResult.Accepted accepted) {
            leader.pendingConfIndex = accepted.index();
        }
        return result;
    }

    private ProposeResult proposeEntry(Entry entry) {
        if (!(role instanceof LeaderState leader)) {
            long hint = leaderId();
            return new ProposeResult.Dropped(hint == NONE ? DropReason.NO_LEADER : DropReason.NOT_LEADER, hint, "");
        }
        if (!membership.isMember(id)) {
            return new ProposeResult.Dropped(DropReason.NOT_MEMBER, NONE, "leader " + id + " was removed");
        }
        if (leader.transferee != NONE) {
            return new ProposeResult.Dropped(DropReason.TRANSFER_IN_PROGRESS, id,
                    "transferring leadership to " + leader.transferee);
        }
        long bytes = entry.payloadBytes();
        // An empty tail always admits one entry, so an oversized entry cannot wedge the group.
        if (leader.uncommittedBytes > 0 && leader.uncommittedBytes + bytes > config.maxUncommittedBytes()) {
            return new ProposeResult.Dropped(DropReason.UNCOMMITTED_LIMIT, id,
                    leader.uncommittedBytes + " uncommitted bytes");
        }
        wake();
        leader.uncommittedBytes += bytes;
        appendEntries(List.of(entry));
        broadcastAppend();
        return new ProposeResult.Accepted(term, log.lastIndex());
    }

    // ---------------------------------------------------------------- reads

    ProposeResult readIndex(long requestId, ReadMode mode) {
        if (requestId == 0) {
            throw new IllegalArgumentException("read request id 0 is reserved");
        }
        wake();
        if (role instanceof LeaderState leader) {
            handleReadIndexRequest(leader, id, requestId, mode);
            return new ProposeResult.Accepted(term, 0);
        }
        long leader = leaderId();
        if (leader == NONE) {
            return new ProposeResult.Dropped(DropReason.NO_LEADER, NONE, "");
        }
        send(Message.builder(MessageType.READ_INDEX).to(leader).term(term).readRequestId(requestId).build());
        return new ProposeResult.Accepted(term, 0);
    }

    private void handleReadIndexRequest(LeaderState leader, long from, long requestId, ReadMode mode) {
        if (membership.voters().incoming().voters().equals(java.util.Set.of(id)) && !membership.isJoint()) {
            // The only voter needs no confirmation.
            answerRead(from, log.committed(), requestId);
            return;
        }
        if (log.termOrZero(log.committed()) != term) {
            // Until it commits an entry of its own term the leader does not know the true commit
            // index (thesis 6.4, step 1); park the read.
            if (leader.readsBeforeFirstCommit.size() < MAX_PENDING_READS) {
                leader.readsBeforeFirstCommit.add(Message.builder(MessageType.READ_INDEX).from(from)
                        .readRequestId(requestId).logTerm(mode.ordinal()).build());
            }
            return;
        }
        if (mode == ReadMode.LEASE && leaseValid(leader)) {
            answerRead(from, log.committed(), requestId);
            return;
        }
        long tag = leader.reads.add(requestId, log.committed(), from);
        if (tag != 0) {
            leader.reads.ack(id, tag);
            broadcastHeartbeat(leader, tag);
        }
    }

    private void releaseReadsBeforeFirstCommit(LeaderState leader) {
        List<Message> parked = new ArrayList<>(leader.readsBeforeFirstCommit);
        leader.readsBeforeFirstCommit.clear();
        for (Message m : parked) {
            handleReadIndexRequest(leader, m.from(), m.readRequestId(), ReadMode.values()[(int) m.logTerm()]);
        }
    }

    /**
     * The lease holds while a quorum acknowledged a heartbeat sent less than the lease length
     * ago: those voters ignore campaigns for an election timeout after hearing from us, and
     * the margin absorbs tick skew between servers.
     */
    private boolean leaseValid(LeaderState leader) {
        if (!config.checkQuorum() || quiesced || leader.transferee != NONE || leader.timeoutNowSent) {
            return false;
        }
        long stamp = membership.voters().committedIndex(voter -> voter == id
                ? leader.leaderTicks
                : leader.ackedHeartbeatStamp.getOrDefault(voter, 0L));
        long leaseTicks = Math.max(1, config.electionTicks() - 2);
        return stamp > 0 && leader.leaderTicks < stamp + leaseTicks;
    }

    private void answerRead(long to, long index, long requestId) {
        if (to == id) {
            readStates.add(new ReadState(index, requestId));
        } else {
            send(Message.builder(MessageType.READ_INDEX_RESPONSE).to(to).term(term).index(index)
                    .readRequestId(requestId).build());
        }
    }

    // ---------------------------------------------------------------- leadership transfer

    ProposeResult transferLeader(long target) {
        wake();
        if (role instanceof LeaderState leader) {
            return handleTransferLeader(leader, target);
        }
        long leader = leaderId();
        if (leader == NONE) {
            return new ProposeResult.Dropped(DropReason.NO_LEADER, NONE, "");
        }
        send(Message.builder(MessageType.TRANSFER_LEADER).to(leader).term(term).index(target).build());
        return new ProposeResult.Accepted(term, 0);
    }

    private ProposeResult handleTransferLeader(LeaderState leader, long target) {
        Progress pr = leader.progress.get(target);
        if (pr == null || pr.isLearner()) {
            return new ProposeResult.Dropped(DropReason.INVALID_CONF_CHANGE, id,
                    "transfer target " + target + " is not a voter");
        }
        if (target == id) {
            return new ProposeResult.Accepted(term, 0);
        }
        if (leader.transferee == target) {
            return new ProposeResult.Accepted(term, 0);
        }
        leader.transferee = target;
        leader.transferElapsedTicks = 0;
        if (pr.match() == log.lastIndex()) {
            sendTimeoutNow(leader, target);
        } else {
            maybeSendAppend(leader, target, true);
        }
        return new ProposeResult.Accepted(term, 0);
    }

    private void sendTimeoutNow(LeaderState leader, long to) {
        leader.timeoutNowSent = true;
        send(Message.builder(MessageType.TIMEOUT_NOW).to(to).term(term).build());
        if (!membership.isMember(id)) {
            // A removed leader's hand-over is done: the target holds our whole log, so it can be
            // elected (with our vote if needed) even if this TimeoutNow is lost or declined.
            becomeFollower(term, NONE);
        }
    }

    private void abortLeaderTransfer(LeaderState leader) {
        leader.transferee = NONE;
        leader.transferElapsedTicks = 0;
    }

    // ---------------------------------------------------------------- reports from the owner

    void reportUnreachable(long to) {
        LeaderState leader = leaderStateOrNull();
        if (leader == null) {
            return;
        }
        Progress pr = leader.progress.get(to);
        if (pr != null && pr.state() == ProgressState.REPLICATE) {
            pr.becomeProbe();
        }
    }

    void reportSnapshot(long to, boolean success) {
        LeaderState leader = leaderStateOrNull();
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

    /**
     * The failure detector says the leader's server is down: resume ticking to elect a new one.
     * The detector only says so after hearing nothing from that server for longer than an
     * election timeout, so the follower's lease on its leader is over: it grants votes at once
     * and campaigns when its randomized timeout, counted from the leader's last word, is up.
     */
    void reportLeaderDown() {
        if (!(role instanceof LeaderState)) {
            wake();
            electionElapsed = Math.max(electionElapsed, config.electionTicks());
        }
    }

    // ---------------------------------------------------------------- applying

    /** Called when the owner takes committed entries: applies membership changes and frees bytes. */
    void onEntriesApplied(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long bytes = 0;
        for (Entry e : entries) {
            bytes += e.payloadBytes();
        }
        LeaderState leader = leaderStateOrNull();
        if (leader != null) {
            leader.uncommittedBytes = Math.max(0, leader.uncommittedBytes - bytes);
        }
        log.appliedTo(entries.get(entries.size() - 1).index());
        for (Entry e : entries) {
            if (e.type() == EntryType.CONF_CHANGE) {
                switchToConfig(membership.applyCommitted(ConfChange.decode(e.data()), e.index()));
            }
        }
        leader = leaderStateOrNull();
        if (leader != null && membership.autoLeave() && leader.pendingConfIndex <= log.applied()) {
            // The joint configuration is in force everywhere it needs to be: leave it.
            Entry leave = new Entry(0, 0, EntryType.CONF_CHANGE, ConfChange.leaveJoint().encode());
            appendEntries(List.of(leave));
            leader.pendingConfIndex = log.lastIndex();
            broadcastAppend();
        }
    }

    private void switchToConfig(MembershipConfig next) {
        membership = next;
        LeaderState leader = leaderStateOrNull();
        if (leader == null) {
            return;
        }
        long last = log.lastIndex();
        Map<Long, Progress> updated = new HashMap<>();
        for (long member : next.members()) {
            Progress pr = leader.progress.get(member);
            boolean learner = next.learners().contains(member);
            if (pr == null) {
                pr = newProgress(member, last);
            } else if (pr.isLearner() != learner) {
                pr = pr.withLearner(learner, config.maxInflightMsgs(), config.maxInflightBytes());
            }
            updated.put(member, pr);
        }
        leader.progress.clear();
        leader.progress.putAll(updated);
        leader.ackedHeartbeatStamp.keySet().retainAll(updated.keySet());
        if (maybeCommit(leader)) {
            broadcastAppend();
        } else {
            for (long member : updated.keySet()) {
                if (member != id) {
                    maybeSendAppend(leader, member, false);
                }
            }
        }
        if (leader.transferee != NONE && !next.isVoter(leader.transferee)) {
            abortLeaderTransfer(leader);
        }
        if (!next.isMember(id)) {
            handOver(leader);
        }
    }

    /**
     * A leader that applied its own removal hands leadership to the most up-to-date voter of the
     * new configuration (catch it up, then TimeoutNow, then step down) instead of stepping down at
     * once. The other members may not know yet that the change committed; those still in the
     * previous (possibly joint) configuration then need this replica's vote to elect anyone, and
     * it would refuse every candidate lacking entries only it holds, while, no longer a member, it
     * never campaigns itself: the group would stall for good. It accepts no proposals meanwhile,
     * and retries, possibly with another target, if a transfer is abandoned.
     */
    private void handOver(LeaderState leader) {
        long best = NONE;
        long bestMatch = -1;
        for (Map.Entry<Long, Progress> e : leader.progress.entrySet()) {
            long member = e.getKey();
            Progress pr = e.getValue();
            if (member == id || !membership.voters().incoming().voters().contains(member)) {
                continue;
            }
            long rank = pr.recentActive() ? pr.match() : pr.match() - log.lastIndex() - 1;
            if (rank > bestMatch || (rank == bestMatch && member < best)) {
                best = member;
                bestMatch = rank;
            }
        }
        if (best != NONE) {
            handleTransferLeader(leader, best);
        }
    }

    // ---------------------------------------------------------------- misc

    private void send(Message m) {
        outbox.add(m.toBuilder().from(id).build());
    }

    @Override
    public String toString() {
        return "Raft{" + id + " " + role.role() + " t" + term + " v" + vote + " lead=" + leaderId() + " " + log
                + " " + membership + (quiesced ? " quiesced" : "") + "}";
    }
}

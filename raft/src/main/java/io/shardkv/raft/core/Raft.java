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
 * <p>This class keeps the replica's term, vote, role and timers: it dispatches every message and
 * request, runs elections (hup, campaign, vote handling) and ticks, and owns every role
 * transition. The work of each operation lives in its own class, which holds a reference to this
 * one and uses its package-private accessors: {@link Replication} (leader side of the log),
 * {@link FollowerReplication} (follower side), {@link ReadIndexHandler} (reads),
 * {@link LeadershipTransfer}, {@link MembershipChanges} and {@link Quiescence}. None of them
 * changes the role except through {@link #becomeFollower}.
 *
 * <p>Role transitions:
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
    private final long id;
    private final RaftConfig config;
    private final RandomSource random;
    final RaftLog log;

    private long term;
    private long vote;
    /**
     * The configuration in force: the stored one with every applied change on top, or the last
     * installed snapshot's. Replaced only through {@link #setMembership}, by {@link MembershipChanges}
     * and {@link FollowerReplication}.
     */
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

    /** Messages that cannot come from a correct peer (a leader's term claimed by another), dropped. */
    private long impossibleMessages;
    private List<Message> outbox = new ArrayList<>();
    private List<ReadState> readStates = new ArrayList<>();

    // The operations, one class each; none holds state of its own but Quiescence's flag.
    final Replication replication = new Replication(this);
    final FollowerReplication followerReplication = new FollowerReplication(this);
    final ReadIndexHandler reads = new ReadIndexHandler(this);
    final LeadershipTransfer leadershipTransfer = new LeadershipTransfer(this);
    final MembershipChanges membershipChanges = new MembershipChanges(this);
    final Quiescence quiescence = new Quiescence(this);

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
        if (config.applied() > log.committed() && config.applied() <= log.lastIndex()) {
            // The commit index is written without a sync (Ready#mustSync) and may have been lost in
            // a power cut that the state machine's own sync survived: what it applied was
            // committed, and its entries are in this log (they are always synced).
            log.commitTo(config.applied());
        }
        long applied = Math.min(Math.max(config.applied(), log.firstIndex() - 1), log.committed());
        // The stored membership already includes every change up to its own index; replaying
        // those again (from a log tail retained below the snapshot) would apply them twice.
        membershipChanges.replayConfChanges(Math.max(log.firstIndex(), init.confStateIndex() + 1), applied);
        log.appliedTo(applied);
        this.role = new FollowerState(NONE);
        resetRandomizedElectionTimeout();
    }

    // ---------------------------------------------------------------- accessors

    long id() { return id; }
    long term() { return term; }
    long vote() { return vote; }
    Role role() { return role.role(); }
    MembershipConfig membership() { return membership; }
    long impossibleMessages() {
        return impossibleMessages;
    }

    boolean isQuiesced() { return quiescence.isQuiesced(); }
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

    /** The first index some member still needs, as the current leader last said (0: not said). */
    private long leaderRetainFrom;

    void noteLeaderRetainFrom(long index) {
        leaderRetainFrom = index;
    }

    /**
     * The index after which this replica should keep its log for the group's slowest member:
     * on a leader from its own progress tracking, on a follower as its leader last said (so a
     * follower that becomes leader still holds what a lagging member needs). MAX_VALUE when
     * nothing is known.
     */
    long retainFloor() {
        LeaderState leader = leaderStateOrNull();
        if (leader != null) {
            return replication.slowestMatch(leader);
        }
        return leaderRetainFrom == 0 ? Long.MAX_VALUE : leaderRetainFrom - 1;
    }

    LeaderState leaderStateOrNull() {
        return role instanceof LeaderState l ? l : null;
    }

    /** The messages to send, the leader's due appends and read round included (see {@link #sendDue}). */
    List<Message> takeMessages() {
        sendDue();
        List<Message> out = outbox;
        outbox = new ArrayList<>();
        return out;
    }

    boolean hasMessages() {
        LeaderState leader = leaderStateOrNull();
        return !outbox.isEmpty() || (leader != null && (leader.appendsDue || leader.readRoundDue != 0));
    }

    /**
     * Sends what a leader put off while it handled a batch of inputs: the appends of its new
     * proposals and the heartbeat round of its newest read. Both only get later, never earlier,
     * than if sent at once, so they keep their meaning: a round still follows every read it
     * confirms, and a heartbeat's stamp is taken when it is built.
     */
    private void sendDue() {
        LeaderState leader = leaderStateOrNull();
        if (leader == null) {
            return;
        }
        if (leader.appendsDue) {
            replication.sendNewEntries(leader);
        }
        if (leader.readRoundDue != 0) {
            replication.broadcastHeartbeat(leader, leader.readRoundDue);
        }
    }

    List<ReadState> takeReadStates() {
        List<ReadState> out = readStates;
        readStates = new ArrayList<>();
        return out;
    }

    boolean hasReadStates() {
        return !readStates.isEmpty();
    }

    // ---------------------------------------------------------------- for the operation classes

    /** Whether {@code leader} is still this replica's role (a step may have ended it). */
    boolean stillLeads(LeaderState leader) {
        return role == leader;
    }

    /** Replaces the membership in force: applied changes and installed snapshots only. */
    void setMembership(MembershipConfig next) {
        membership = next;
    }

    /** Restarts the election and heartbeat timers (waking from quiescence). */
    void restartTimers() {
        electionElapsed = 0;
        heartbeatElapsed = 0;
    }

    void addReadState(ReadState rs) {
        readStates.add(rs);
    }

    void send(Message m) {
        outbox.add(m.toBuilder().from(id).build());
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
        LeaderState leader = new LeaderState(ReadIndexHandler.MAX_PENDING_READS);
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
        replication.appendEntries(List.of(Entry.noOp(term, last + 1)));
    }

    Progress newProgress(long member, long lastIndex) {
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
        if (quiescence.isQuiesced()) {
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
            leadershipTransfer.abortLeaderTransfer(leader);
        }
        boolean removed = !membership.isMember(id);
        if (removed && leader.transferee == NONE) {
            membershipChanges.handOver(leader);
            if (!stillLeads(leader)) {
                return;
            }
        }
        if (electionElapsed >= config.electionTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum()) {
                // A removed leader keeps leading until it has handed over (see MembershipChanges#handOver); its lease
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
            if (!quiescence.maybeQuiesce(leader)) {
                replication.broadcastHeartbeat(leader, leader.reads.newestTag());
            }
            // Either carries the commit index (a heartbeat up to each member's match; a member
            // further behind gets it with the entries it is sent).
            leader.commitNoticeDue = false;
        } else if (leader.commitNoticeDue) {
            replication.broadcastAppend();
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

    /** Resumes ticking if quiesced (see {@link Quiescence#wake}). */
    void wake() {
        quiescence.wake();
    }

    // ---------------------------------------------------------------- elections

    private void hup(boolean transfer) {
        if (role instanceof LeaderState || !promotable()) {
            return;
        }
        if (membershipChanges.hasUnappliedConfChange()) {
            // The outcome of the election could depend on a membership that is not applied yet.
            return;
        }
        if (transfer) {
            campaign(false, true);
        } else {
            campaign(config.preVote(), false);
        }
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
            // A group of one wins at once; its learners hear of the new term right away.
            if (preVote) {
                campaign(false, transfer);
            } else {
                becomeLeader();
                replication.broadcastAppend();
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
     * leader it only hands over (see {@link MembershipChanges#handOver}).
     */
    private void maybeCampaignToHandOver() {
        if (membership.isMember(id) || !(role instanceof FollowerState) || log.hasPendingSnapshot()
                || membershipChanges.hasUnappliedConfChange() || membership.voters().ids().isEmpty()) {
            return;
        }
        campaign(config.preVote(), false);
    }

    private void stepFollower(FollowerState f, Message m) {
        switch (m.type()) {
            case APPEND -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                followerReplication.handleAppendEntries(m);
            }
            case HEARTBEAT -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                followerReplication.handleHeartbeat(m);
            }
            case SNAPSHOT -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                followerReplication.handleSnapshot(m);
            }
            case QUIESCE -> {
                electionElapsed = 0;
                f.leaderId = m.from();
                quiescence.handleQuiesce(m);
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
                        replication.broadcastAppend();
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
            case APPEND_RESPONSE -> replication.handleAppendResponse(leader, m);
            case HEARTBEAT_RESPONSE -> replication.handleHeartbeatResponse(leader, m);
            case READ_INDEX -> reads.handleReadIndexRequest(leader, m.from(), m.readRequestId(), ReadMode.SAFE);
            case TRANSFER_LEADER -> leadershipTransfer.handleTransferLeader(leader, m.index());
            // Only this replica leads this term, so such a message is forged or corrupt: it is
            // dropped and counted, never a reason to stop the group. (Two real leaders in one
            // term would be a bug; the simulation checks election safety on its own.)
            case APPEND, HEARTBEAT, SNAPSHOT, QUIESCE -> impossibleMessages++;
            default -> {
                // Stale vote responses and the like.
            }
        }
    }

    // ---------------------------------------------------------------- proposals

    ProposeResult propose(byte[] data) {
        return proposeEntry(new Entry(0, 0, EntryType.NORMAL, data));
    }

    ProposeResult proposeConfChange(ConfChange cc) {
        return membershipChanges.proposeConfChange(cc);
    }

    /** Appends {@code entry} to the leader's log and sends it, unless the leader must refuse it. */
    ProposeResult proposeEntry(Entry entry) {
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
        replication.appendEntries(List.of(entry));
        // Sent with the other proposals handled before the owner takes the messages.
        leader.appendsDue = true;
        return new ProposeResult.Accepted(term, log.lastIndex());
    }

    // ---------------------------------------------------------------- requests handled elsewhere

    ProposeResult readIndex(long requestId, ReadMode mode) {
        return reads.readIndex(requestId, mode);
    }

    ProposeResult transferLeader(long target) {
        return leadershipTransfer.transferLeader(target);
    }

    void reportUnreachable(long to) {
        replication.reportUnreachable(to);
    }

    void reportSnapshot(long to, boolean success) {
        replication.reportSnapshot(to, success);
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
        membershipChanges.applyConfChanges(entries);
    }

    // ---------------------------------------------------------------- misc

    @Override
    public String toString() {
        return "Raft{" + id + " " + role.role() + " t" + term + " v" + vote + " lead=" + leaderId() + " " + log
                + " " + membership + (isQuiesced() ? " quiesced" : "") + "}";
    }
}

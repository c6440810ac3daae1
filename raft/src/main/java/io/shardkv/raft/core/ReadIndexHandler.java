package io.shardkv.raft.core;

import static io.shardkv.raft.core.RawNode.NONE;

import io.shardkv.raft.core.quorum.VoteResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Linearizable reads (thesis 6.4): a follower forwards its read to the leader; the leader parks
 * reads until it has committed an entry of its own term, answers from its lease when that holds
 * ({@link ReadMode#LEASE}), and otherwise queues the read in {@link LeaderState#reads} until a
 * quorum acknowledges a heartbeat round sent after it arrived. Answers are {@link ReadState}s for
 * local reads and READ_INDEX_RESPONSE messages for forwarded ones.
 *
 * <p>Kept apart from {@link Raft} because reads never change the log or the role; they only ride
 * on the heartbeats of {@link Replication}. It holds no state: pending reads live in
 * {@link LeaderState}.
 */
final class ReadIndexHandler {
    /** Bound on the reads a leader queues, and, separately, on those it parks before its first commit. */
    static final int MAX_PENDING_READS = 4096;

    private final Raft raft;

    ReadIndexHandler(Raft raft) {
        this.raft = raft;
    }

    ProposeResult readIndex(long requestId, ReadMode mode) {
        if (requestId == 0) {
            throw new IllegalArgumentException("read request id 0 is reserved");
        }
        raft.wake();
        LeaderState self = raft.leaderStateOrNull();
        if (self != null) {
            return handleReadIndexRequest(self, raft.id(), requestId, mode);
        }
        long leader = raft.leaderId();
        if (leader == NONE) {
            return new ProposeResult.Dropped(DropReason.NO_LEADER, NONE, "");
        }
        raft.send(Message.builder(MessageType.READ_INDEX).to(leader).term(raft.term()).readRequestId(requestId).build());
        return new ProposeResult.Accepted(raft.term(), 0);
    }

    /**
     * Serves read {@code requestId} of replica {@code from} (this leader or a follower that
     * forwarded it). Dropped with {@link DropReason#READ_QUEUE_FULL} when the reads waiting at
     * the same stage are at their bound; a forwarded read dropped so times out at its origin.
     */
    ProposeResult handleReadIndexRequest(LeaderState leader, long from, long requestId, ReadMode mode) {
        long id = raft.id();
        if (raft.membership().voters().incoming().voters().equals(Set.of(id)) && !raft.membership().isJoint()) {
            // The only voter needs no confirmation.
            answerRead(from, raft.log.committed(), requestId);
            return accepted();
        }
        if (raft.log.termOrZero(raft.log.committed()) != raft.term()) {
            // Until it commits an entry of its own term the leader does not know the true commit
            // index (thesis 6.4, step 1); park the read.
            if (leader.readsBeforeFirstCommit.size() >= MAX_PENDING_READS) {
                return queueFull(leader.readsBeforeFirstCommit.size() + " reads wait for the leader's first commit");
            }
            leader.readsBeforeFirstCommit.add(new LeaderState.ParkedRead(from, requestId, mode));
            return accepted();
        }
        if (mode == ReadMode.LEASE && leaseValid(leader)) {
            answerRead(from, raft.log.committed(), requestId);
            return accepted();
        }
        if (leader.reads.isPending(from, requestId)) {
            // A retry of a read still waiting for its round: that round answers it.
            return accepted();
        }
        if (leader.reads.isFull()) {
            return queueFull(leader.reads.size() + " reads wait for a heartbeat round");
        }
        long tag = leader.reads.add(requestId, raft.log.committed(), from);
        leader.reads.ack(id, tag);
        // The round goes out when the messages are taken, shared with the reads handled meanwhile.
        leader.readRoundDue = tag;
        return accepted();
    }

    private ProposeResult accepted() {
        return new ProposeResult.Accepted(raft.term(), 0);
    }

    private ProposeResult queueFull(String detail) {
        return new ProposeResult.Dropped(DropReason.READ_QUEUE_FULL, raft.id(), detail);
    }

    /**
     * The leader committed its first entry of the term: the parked reads go their normal way. None
     * is dropped: the read queue is still empty and as large as the parked reads' bound.
     */
    void releaseReadsBeforeFirstCommit(LeaderState leader) {
        List<LeaderState.ParkedRead> parked = new ArrayList<>(leader.readsBeforeFirstCommit);
        leader.readsBeforeFirstCommit.clear();
        for (LeaderState.ParkedRead r : parked) {
            handleReadIndexRequest(leader, r.from(), r.requestId(), r.mode());
        }
    }

    /**
     * {@code voter} acknowledged the heartbeat round tagged {@code tag}: once a quorum has, that
     * read and every read queued before it are answered.
     */
    void confirmRound(LeaderState leader, long voter, long tag) {
        var acks = leader.reads.ack(voter, tag);
        if (acks != null && quorumOf(acks)) {
            for (ReadIndexQueue.Request r : leader.reads.advance(tag)) {
                answerRead(r.from(), r.index(), r.requestId());
            }
        }
    }

    private boolean quorumOf(Set<Long> acks) {
        Map<Long, Boolean> votes = new HashMap<>();
        for (long voter : acks) {
            votes.put(voter, true);
        }
        return raft.membership().voters().voteResult(votes) == VoteResult.WON;
    }

    /**
     * The lease holds while a quorum acknowledged a heartbeat sent less than the lease length
     * ago: those voters ignore campaigns for an election timeout after hearing from us, and
     * the margin absorbs tick skew between servers.
     */
    private boolean leaseValid(LeaderState leader) {
        RaftConfig config = raft.config();
        if (!config.checkQuorum() || raft.isQuiesced() || leader.transferee != NONE || leader.timeoutNowSent) {
            return false;
        }
        long id = raft.id();
        long stamp = raft.membership().voters().committedIndex(voter -> voter == id
                ? leader.leaderTicks
                : leader.ackedHeartbeatStamp.getOrDefault(voter, 0L));
        long leaseTicks = Math.max(1, config.electionTicks() - 2);
        return stamp > 0 && leader.leaderTicks < stamp + leaseTicks;
    }

    /** Answers read {@code requestId} of replica {@code to} with {@code index}. */
    private void answerRead(long to, long index, long requestId) {
        if (to == raft.id()) {
            raft.addReadState(new ReadState(index, requestId));
        } else {
            raft.send(Message.builder(MessageType.READ_INDEX_RESPONSE).to(to).term(raft.term()).index(index)
                    .readRequestId(requestId).build());
        }
    }
}

package io.shardkv.raft.core;

/**
 * Settings of one replica's core. Times are in ticks; the runtime decides how long a tick is.
 * Defaults follow the tiglabs multi-raft defaults (seed 004) where they exist.
 *
 * @param id                       this replica's node id (positive)
 * @param electionTicks            base election timeout; the real one is random in [e, 2e)
 * @param heartbeatTicks           ticks between leader heartbeats; must be below electionTicks
 * @param maxSizePerMsgBytes       payload bound of one append message (at least one entry is sent)
 * @param maxInflightMsgs          pipelined appends per follower before waiting for acks
 * @param maxInflightBytes         payload bytes in flight per follower before waiting for acks
 * @param maxUncommittedBytes      payload bytes a leader accepts beyond its commit index
 * @param maxCommittedBytesPerReady payload of committed entries handed out in one Ready
 * @param checkQuorum              leader steps down without a quorum heard in an election timeout
 * @param preVote                  campaign with a trial round first (thesis 9.6)
 * @param quiesce                  an idle group stops ticking and heartbeating
 * @param deferCommitNotice        followers learn a new commit index from the leader's next append or
 *                                 tick rather than from an append of its own (membership changes and a
 *                                 term's first commit are still told at once); a busy group saves a
 *                                 message round per commit, an idle one tells it a tick later
 * @param snapshotTimeoutTicks     give up on a snapshot in flight after this many ticks without news
 * @param applied                  index the state machine has already applied (on restart)
 */
public record RaftConfig(long id, int electionTicks, int heartbeatTicks, long maxSizePerMsgBytes, int maxInflightMsgs,
                         long maxInflightBytes, long maxUncommittedBytes, long maxCommittedBytesPerReady,
                         boolean checkQuorum, boolean preVote, boolean quiesce, boolean deferCommitNotice,
                         int snapshotTimeoutTicks, long applied) {

    public RaftConfig {
        if (id <= 0) {
            throw new IllegalArgumentException("id must be positive, got " + id);
        }
        if (heartbeatTicks <= 0 || electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("need 0 < heartbeatTicks < electionTicks, got "
                    + heartbeatTicks + " and " + electionTicks);
        }
        if (maxSizePerMsgBytes <= 0 || maxInflightMsgs <= 0 || maxInflightBytes <= 0 || maxUncommittedBytes <= 0
                || maxCommittedBytesPerReady <= 0 || snapshotTimeoutTicks <= 0 || applied < 0) {
            throw new IllegalArgumentException("limits must be positive: " + this);
        }
    }

    /** Defaults: election 10 ticks, heartbeat 2, 1 MiB messages, 128 inflight, quiescence on, commit notices deferred. */
    public static RaftConfig defaults(long id) {
        return new RaftConfig(id, 10, 2, 1 << 20, 128, 64L << 20, 256L << 20, 64L << 20,
                true, true, true, true, 1000, 0);
    }

    public RaftConfig withApplied(long newApplied) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs, maxInflightBytes,
                maxUncommittedBytes, maxCommittedBytesPerReady, checkQuorum, preVote, quiesce, deferCommitNotice,
                snapshotTimeoutTicks, newApplied);
    }

    public RaftConfig withId(long newId) {
        return new RaftConfig(newId, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs,
                maxInflightBytes, maxUncommittedBytes, maxCommittedBytesPerReady, checkQuorum, preVote, quiesce,
                deferCommitNotice, snapshotTimeoutTicks, applied);
    }

    public RaftConfig withLimits(long newMaxSizePerMsgBytes, int newMaxInflightMsgs, long newMaxInflightBytes,
                                 long newMaxUncommittedBytes) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, newMaxSizePerMsgBytes, newMaxInflightMsgs,
                newMaxInflightBytes, newMaxUncommittedBytes, maxCommittedBytesPerReady, checkQuorum, preVote, quiesce,
                deferCommitNotice, snapshotTimeoutTicks, applied);
    }

    public RaftConfig withFeatures(boolean newCheckQuorum, boolean newPreVote, boolean newQuiesce) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs, maxInflightBytes,
                maxUncommittedBytes, maxCommittedBytesPerReady, newCheckQuorum, newPreVote, newQuiesce,
                deferCommitNotice, snapshotTimeoutTicks, applied);
    }

    public RaftConfig withTicks(int newElectionTicks, int newHeartbeatTicks) {
        return new RaftConfig(id, newElectionTicks, newHeartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs,
                maxInflightBytes, maxUncommittedBytes, maxCommittedBytesPerReady, checkQuorum, preVote, quiesce,
                deferCommitNotice, snapshotTimeoutTicks, applied);
    }

    public RaftConfig withDeferCommitNotice(boolean defer) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs,
                maxInflightBytes, maxUncommittedBytes, maxCommittedBytesPerReady, checkQuorum, preVote, quiesce,
                defer, snapshotTimeoutTicks, applied);
    }
}

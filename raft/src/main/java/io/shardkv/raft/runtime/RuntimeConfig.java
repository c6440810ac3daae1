package io.shardkv.raft.runtime;

import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.storage.RetentionPolicy;

/**
 * Settings of one server's multi-raft runtime. Every queue and batch is bounded here.
 *
 * @param serverId            this server's id; also its replica id in every group it hosts
 * @param tickMillis          length of one Raft tick
 * @param pollerThreads       threads that drive groups and write their logs
 * @param applyThreads        threads that apply committed entries to state machines
 * @param maxGroupsPerCycle   groups a poller handles before it writes and fsyncs once
 * @param mailboxCapacity     inputs queued per group; beyond it messages are dropped and
 *                            client requests refused with SERVER_BUSY
 * @param maxInputsPerCycle   inputs of one group handled per cycle, so one busy group cannot
 *                            starve the others
 * @param raft                per-group core settings (its id is replaced by serverId)
 * @param retention           how much log to keep behind the durable applied index
 * @param maxApplyBacklogBytes committed entries handed to the appliers and not yet applied, all
 *                            groups together; beyond it a group with a backlog of its own gets no
 *                            more until its appliers catch up (the log keeps them meanwhile)
 */
public record RuntimeConfig(long serverId, long tickMillis, int pollerThreads, int applyThreads,
                            int maxGroupsPerCycle, int mailboxCapacity, int maxInputsPerCycle, RaftConfig raft,
                            RetentionPolicy retention, long maxApplyBacklogBytes) {
    public static final long DEFAULT_MAX_APPLY_BACKLOG_BYTES = 64L << 20;

    public RuntimeConfig(long serverId, long tickMillis, int pollerThreads, int applyThreads, int maxGroupsPerCycle,
                         int mailboxCapacity, int maxInputsPerCycle, RaftConfig raft, RetentionPolicy retention) {
        this(serverId, tickMillis, pollerThreads, applyThreads, maxGroupsPerCycle, mailboxCapacity, maxInputsPerCycle,
                raft, retention, DEFAULT_MAX_APPLY_BACKLOG_BYTES);
    }


    public RuntimeConfig {
        if (serverId <= 0 || tickMillis <= 0 || pollerThreads <= 0 || applyThreads <= 0 || maxGroupsPerCycle <= 0
                || mailboxCapacity <= 0 || maxInputsPerCycle <= 0 || maxApplyBacklogBytes <= 0) {
            throw new IllegalArgumentException("runtime settings must be positive: " + this);
        }
        raft = raft.withId(serverId);
    }

    /** Defaults: 100 ms ticks (heartbeat 200 ms, election 1 s), two pollers, two appliers. */
    public static RuntimeConfig defaults(long serverId) {
        return new RuntimeConfig(serverId, 100, 2, 2, 256, 4096, 256, RaftConfig.defaults(serverId),
                RetentionPolicy.defaults());
    }

    public RuntimeConfig withTickMillis(long newTickMillis) {
        return new RuntimeConfig(serverId, newTickMillis, pollerThreads, applyThreads, maxGroupsPerCycle,
                mailboxCapacity, maxInputsPerCycle, raft, retention, maxApplyBacklogBytes);
    }

    public RuntimeConfig withRaft(RaftConfig newRaft) {
        return new RuntimeConfig(serverId, tickMillis, pollerThreads, applyThreads, maxGroupsPerCycle,
                mailboxCapacity, maxInputsPerCycle, newRaft, retention, maxApplyBacklogBytes);
    }

    public RuntimeConfig withMaxApplyBacklogBytes(long bytes) {
        return new RuntimeConfig(serverId, tickMillis, pollerThreads, applyThreads, maxGroupsPerCycle,
                mailboxCapacity, maxInputsPerCycle, raft, retention, bytes);
    }

    public RuntimeConfig withRetention(RetentionPolicy newRetention) {
        return new RuntimeConfig(serverId, tickMillis, pollerThreads, applyThreads, maxGroupsPerCycle,
                mailboxCapacity, maxInputsPerCycle, raft, newRetention, maxApplyBacklogBytes);
    }
}

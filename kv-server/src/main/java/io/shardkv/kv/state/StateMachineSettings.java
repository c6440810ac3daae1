package io.shardkv.kv.state;

/**
 * Settings of every group's KV state machine.
 *
 * @param sessionTtlMillis         a client session not seen for this long (leader clock) is dropped
 * @param sessionSweepEveryEntries sessions are checked for expiry at log indexes that are a
 *                                 multiple of this (a deterministic point on every replica)
 * @param walSyncEveryEntries      applied entries between two WAL syncs that make them durable
 * @param maxRepliesPerClient      stored replies per client before writes are refused
 * @param maxSessions              client sessions per group; beyond it the least recently seen is
 *                                 evicted (about 250 bytes of heap each)
 */
public record StateMachineSettings(long sessionTtlMillis, long sessionSweepEveryEntries, long walSyncEveryEntries,
                                   int maxRepliesPerClient, int maxSessions) {
    public static final int DEFAULT_MAX_SESSIONS = 10_000;

    public StateMachineSettings {
        if (sessionTtlMillis <= 0 || sessionSweepEveryEntries <= 0 || walSyncEveryEntries <= 0
                || maxRepliesPerClient <= 0 || maxSessions <= 0) {
            throw new IllegalArgumentException("state machine settings must be positive: " + sessionTtlMillis + " "
                    + sessionSweepEveryEntries + " " + walSyncEveryEntries + " " + maxRepliesPerClient + " "
                    + maxSessions);
        }
    }

    public StateMachineSettings(long sessionTtlMillis, long sessionSweepEveryEntries, long walSyncEveryEntries,
                                int maxRepliesPerClient) {
        this(sessionTtlMillis, sessionSweepEveryEntries, walSyncEveryEntries, maxRepliesPerClient,
                DEFAULT_MAX_SESSIONS);
    }

    /** 24 h sessions swept every 1,000 entries, a WAL sync every 1,000 entries, 1,024 replies per client, 10,000 sessions. */
    public static StateMachineSettings defaults() {
        return new StateMachineSettings(24L * 3600 * 1000, 1000, 1000, 1024, DEFAULT_MAX_SESSIONS);
    }
}

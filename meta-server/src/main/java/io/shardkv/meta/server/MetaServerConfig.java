package io.shardkv.meta.server;

import io.shardkv.meta.scheduler.SlotBalance;
import io.shardkv.ops.RaftTuning;
import io.shardkv.raft.transport.PeerAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything a {@link MetaServer} needs to start. {@link MetaSettings} builds it from flags,
 * file and environment; tests build it directly.
 *
 * @param serverId           this meta replica's id (also its Raft replica id)
 * @param peers              Raft addresses of all meta replicas, this one included
 * @param listen             MetaService gRPC address (port 0 picks a free one)
 * @param raftListen         where this replica's Raft transport binds (port 0 picks a free one)
 * @param httpListen         /metrics and /health (port 0 picks a free one)
 * @param dataDir            holds raft-log/, meta/ and snapshots/
 * @param initialGroups      groups created at bootstrap
 * @param replicas           replicas per group at bootstrap and the default for new groups
 * @param serverDownMillis   silence after which the leader marks a kv-server SERVER_DOWN
 * @param schedulerIntervalMillis pause between two scheduler passes
 * @param adminTimeoutMillis how long a write waits to apply before answering TIMEOUT
 * @param adminCallDeadlineMillis deadline of one KvAdmin call to a kv-server
 * @param leaderBalanceQuietMillis no task pending for this long before the scheduler moves a group
 *                           leader to even out leaders per kv-server; 0 turns balancing off
 * @param raft               the meta group's Raft runtime, log engine and transport settings
 * @param slotBalance        when and how much the scheduler evens out the groups' slots
 */
public record MetaServerConfig(long serverId, Map<Long, PeerAddress> peers, Listen listen,
                               Listen raftListen, Listen httpListen, Path dataDir, int initialGroups,
                               int replicas, long serverDownMillis, long schedulerIntervalMillis,
                               long adminTimeoutMillis, long adminCallDeadlineMillis, long leaderBalanceQuietMillis,
                               RaftTuning raft, SlotBalance slotBalance) {

    public static final long DEFAULT_SCHEDULER_INTERVAL_MILLIS = 200;
    public static final long DEFAULT_ADMIN_TIMEOUT_MILLIS = 5_000;
    public static final long DEFAULT_ADMIN_CALL_DEADLINE_MILLIS = 2_000;
    public static final long DEFAULT_LEADER_BALANCE_MILLIS = 5_000;

    public MetaServerConfig {
        peers = Map.copyOf(new TreeMap<>(peers));
        if (!peers.containsKey(serverId)) {
            throw new IllegalArgumentException("the peers " + peers.keySet() + " must include this server's id "
                    + serverId);
        }
        if (initialGroups <= 0 || replicas <= 0 || serverDownMillis <= 0
                || schedulerIntervalMillis <= 0 || adminTimeoutMillis <= 0 || adminCallDeadlineMillis <= 0
                || leaderBalanceQuietMillis < 0 || raft == null || slotBalance == null) {
            throw new IllegalArgumentException("meta-server settings must be positive: " + this);
        }
    }
}

package io.shardkv.raft.runtime;

import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Role;

/**
 * Watches one server's view of its groups' leaderships, from the summaries its pollers publish,
 * and tells what an operator needs to see why writes stopped: when a replica campaigns, wins or
 * steps down (logged), how many campaigns and wins there were and how long each replica went
 * without a known leader (metered).
 *
 * <p>Called by the poller that holds the group, so a group's transitions arrive in order.
 */
final class ElectionWatch {
    private static final System.Logger LOG = System.getLogger(ElectionWatch.class.getName());

    private final long serverId;
    private final RuntimeMetrics metrics;
    private final java.util.function.LongSupplier nanoClock;

    ElectionWatch(long serverId, RuntimeMetrics metrics, java.util.function.LongSupplier nanoClock) {
        this.serverId = serverId;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
    }

    /** The group's summary changed from {@code before} to {@code after}. */
    void observe(GroupPeer g, GroupPeer.Summary before, GroupPeer.Summary after) {
        if (before == null || after == null) {
            return;
        }
        boolean campaigning = after.role() == Role.PRE_CANDIDATE || after.role() == Role.CANDIDATE;
        if (campaigning && after.role() != before.role()) {
            metrics.campaign(after.role() == Role.PRE_CANDIDATE);
            LOG.log(System.Logger.Level.INFO, "group {0}: server {1} {2} in term {3} (it was {4} of leader {5})",
                    g.groupId, serverId, after.role() == Role.PRE_CANDIDATE ? "asks for pre-votes" : "campaigns",
                    after.term(), before.role(), before.leaderId());
        }
        if (after.role() == Role.LEADER && before.role() != Role.LEADER) {
            metrics.leadershipWon();
            LOG.log(System.Logger.Level.INFO, "group {0}: server {1} leads in term {2}", g.groupId, serverId,
                    after.term());
        } else if (before.role() == Role.LEADER && after.role() != Role.LEADER) {
            LOG.log(System.Logger.Level.INFO, "group {0}: server {1} stepped down in term {2} (leader now {3})",
                    g.groupId, serverId, after.term(), after.leaderId());
        }
        if (before.leaderId() != RawNode.NONE && after.leaderId() == RawNode.NONE) {
            g.leaderless = true;
            g.leaderlessSinceNanos = nanoClock.getAsLong();
        } else if (after.leaderId() != RawNode.NONE && g.leaderless) {
            g.leaderless = false;
            metrics.leaderless(nanoClock.getAsLong() - g.leaderlessSinceNanos);
        }
    }
}

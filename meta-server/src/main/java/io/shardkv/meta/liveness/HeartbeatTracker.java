package io.shardkv.meta.liveness;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.ShardGroupInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What the meta leader heard from kv-servers, in memory only: when each server last sent a
 * heartbeat, its last group reports, and the group leaders those reports name. None of it is
 * in the log; a new meta leader starts afresh and measures silence from when it took over.
 */
public final class HeartbeatTracker implements LeaderHints {
    private record Seen(long atMillis, List<GroupReport> reports) {
    }

    private final LongSupplier clockMillis;
    private final ConcurrentHashMap<Long, Seen> seen = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, GroupLeader> leaders = new ConcurrentHashMap<>();
    /** When this replica last became the meta leader; silence is never counted from before it. */
    private volatile long leaderSinceMillis;

    public HeartbeatTracker(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
        this.leaderSinceMillis = clockMillis.getAsLong();
    }

    public long nowMillis() {
        return clockMillis.getAsLong();
    }

    /** Starts a new leadership: servers get a full timeout from now before they count as down. */
    public void becameLeader() {
        leaderSinceMillis = clockMillis.getAsLong();
    }

    public void record(HeartbeatRequest request) {
        seen.put(request.getServerId(), new Seen(clockMillis.getAsLong(), List.copyOf(request.getGroupsList())));
        for (GroupReport r : request.getGroupsList()) {
            if (r.getLeaderId() == 0) {
                continue;
            }
            GroupLeader candidate = GroupLeader.newBuilder().setGroupId(r.getGroupId())
                    .setLeaderServerId(r.getLeaderId()).setTerm(r.getTerm()).build();
            // The report with the highest term wins; an equal term replaces (the newest view).
            leaders.merge(r.getGroupId(), candidate, (old, now) -> now.getTerm() >= old.getTerm() ? now : old);
        }
    }

    /**
     * Milliseconds since this replica last heard from the server, or -1 if it never did. Not cut
     * at the start of the leadership: the scheduler notices leadership up to a pass late, and
     * heartbeats served in between are real.
     */
    public long heartbeatAgeMillis(long serverId) {
        Seen s = seen.get(serverId);
        return s == null ? -1 : clockMillis.getAsLong() - s.atMillis;
    }

    /** How long the server has been silent, counting no earlier than the start of this leadership. */
    public long silenceMillis(long serverId) {
        Seen s = seen.get(serverId);
        long from = s == null ? leaderSinceMillis : Math.max(s.atMillis, leaderSinceMillis);
        return clockMillis.getAsLong() - from;
    }

    public List<GroupReport> reports(long serverId) {
        Seen s = seen.get(serverId);
        return s == null ? List.of() : s.reports;
    }

    /** The leader hints of the map's groups, by group id (a removed group's last hint is left out). */
    public List<GroupLeader> leaders(ClusterMap map) {
        List<GroupLeader> out = new ArrayList<>();
        for (ShardGroupInfo g : map.getGroupsList()) {
            GroupLeader l = leaders.get(g.getId());
            if (l != null) {
                out.add(l);
            }
        }
        out.sort(Comparator.comparingLong(GroupLeader::getGroupId));
        return out;
    }

    /**
     * Drops the hints of removed groups (ids the map has handed out but no longer holds), so they
     * do not pile up. A group the map does not know yet keeps its hint: this replica may be
     * behind the kv-servers that already host it.
     */
    public void forgetRemovedGroups(ClusterMap map) {
        Set<Long> live = new HashSet<>();
        map.getGroupsList().forEach(g -> live.add(g.getId()));
        leaders.keySet().removeIf(g -> g < map.getNextGroupId() && !live.contains(g));
    }

    /** Forgets a group's leader hint, e.g. after the hinted server turned out not to lead. */
    public void forgetLeader(long groupId, long serverId) {
        leaders.computeIfPresent(groupId, (g, l) -> l.getLeaderServerId() == serverId ? null : l);
    }

    @Override
    public long leaderOf(long groupId) {
        GroupLeader l = leaders.get(groupId);
        return l == null ? 0 : l.getLeaderServerId();
    }
}

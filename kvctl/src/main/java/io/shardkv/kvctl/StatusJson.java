package io.shardkv.kvctl;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.List;
import java.util.Map;

/**
 * {@code cluster status --output json}: one JSON object with what the table shows, for scripts:
 * {@code config_version}, {@code meta_leader_id}, {@code servers} (with {@code leader_of}, the
 * groups each leads), {@code groups} (leader, term, replicas, slots, and the slots
 * {@code migrating} to and {@code importing} from other groups), {@code slots_unassigned} and
 * {@code pending_tasks}.
 *
 * <p>Ids and counts are the proto's numbers, uint64 written unsigned, and 0 means none as in
 * the proto (no meta or group leader known, no target group). {@code last_heartbeat_age_millis}
 * is -1 for a server the meta leader never heard from. Slots are ranges, {@code "0-255,512"},
 * {@code ""} for none. Fields are only ever added.
 */
final class StatusJson {
    private StatusJson() {
    }

    static String format(ClusterStatusResponse status) {
        ClusterMap map = status.getMap();
        StatusFacts facts = StatusFacts.of(status);
        StringBuilder out = new StringBuilder("{\"config_version\":")
                .append(Long.toUnsignedString(map.getConfigVersion()))
                .append(",\"meta_leader_id\":").append(Long.toUnsignedString(status.getMetaLeaderId()))
                .append(",\"servers\":");
        Json.array(out, map.getServersList(), (o, server) -> server(o, server, facts));
        out.append(",\"groups\":");
        Json.array(out, map.getGroupsList(), (o, group) -> group(o, group, facts));
        out.append(",\"slots_unassigned\":").append(facts.unassignedSlots())
                .append(",\"pending_tasks\":");
        Json.array(out, facts.pendingTasks(), StatusJson::task);
        return out.append("}\n").toString();
    }

    private static void server(StringBuilder out, ServerInfo server, StatusFacts facts) {
        out.append("{\"id\":").append(Long.toUnsignedString(server.getId()))
                .append(",\"address\":").append(Json.quote(server.getAddress()))
                .append(",\"raft_address\":").append(Json.quote(server.getRaftAddress()))
                .append(",\"client_address\":").append(Json.quote(server.getClientAddress()))
                .append(",\"state\":").append(Json.quote(StatusFormatter.state(server.getState())))
                .append(",\"last_heartbeat_age_millis\":").append(facts.heartbeatAgeMillis(server.getId()))
                .append(",\"leader_of\":");
        Json.array(out, facts.groupsLedBy(server.getId()), (o, group) -> o.append(Long.toUnsignedString(group)));
        out.append('}');
    }

    private static void group(StringBuilder out, ShardGroupInfo group, StatusFacts facts) {
        GroupLeader leader = facts.maybeLeader(group.getId()).orElse(GroupLeader.getDefaultInstance());
        List<Integer> slots = facts.slotsOf(group.getId());
        out.append("{\"id\":").append(Long.toUnsignedString(group.getId()))
                .append(",\"leader_id\":").append(Long.toUnsignedString(leader.getLeaderServerId()))
                .append(",\"term\":").append(Long.toUnsignedString(leader.getTerm()))
                .append(",\"replicas\":");
        Json.array(out, group.getReplicasList(), StatusJson::replica);
        out.append(",\"slots\":").append(Json.slots(slots))
                .append(",\"slot_count\":").append(slots.size())
                .append(",\"migrating\":");
        moves(out, facts.slotsMovingOut(group.getId()), "to_group");
        out.append(",\"importing\":");
        moves(out, facts.slotsMovingIn(group.getId()), "from_group");
        out.append('}');
    }

    private static void replica(StringBuilder out, Replica replica) {
        out.append("{\"server_id\":").append(Long.toUnsignedString(replica.getServerId()))
                .append(",\"role\":").append(Json.quote(replica.getRole().toString()))
                .append('}');
    }

    /** {@code [{"slots":"0-9","to_group":2}]}: one entry per other group, in group order. */
    private static void moves(StringBuilder out, Map<Long, List<Integer>> slotsByGroup, String groupField) {
        Json.array(out, slotsByGroup.entrySet(), (o, entry) -> {
            o.append("{\"slots\":").append(Json.slots(entry.getValue()))
                    .append(",\"").append(groupField).append("\":").append(Long.toUnsignedString(entry.getKey()))
                    .append('}');
        });
    }

    private static void task(StringBuilder out, Task task) {
        out.append("{\"id\":").append(Long.toUnsignedString(task.getId()))
                .append(",\"type\":").append(Json.quote(task.getType().toString()))
                .append(",\"group_id\":").append(Long.toUnsignedString(task.getGroupId()))
                .append(",\"target_group_id\":").append(Long.toUnsignedString(task.getTargetGroupId()))
                .append(",\"server_id\":").append(Long.toUnsignedString(task.getServerId()))
                .append(",\"step\":").append(Json.quote(task.getStep()))
                .append(",\"last_error\":").append(Json.quote(task.getLastError()))
                .append(",\"abort_reason\":").append(Json.quote(task.getAbortReason()))
                .append('}');
    }
}

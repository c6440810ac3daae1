package io.shardkv.kvctl;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders {@code kvctl cluster status}: servers, groups with leaders and slot ranges (with the
 * slots moving out of and into each group), tasks.
 */
public final class StatusFormatter {
    private StatusFormatter() {
    }

    public static String format(ClusterStatusResponse status) {
        ClusterMap map = status.getMap();
        StringBuilder out = new StringBuilder();
        out.append("config version ").append(map.getConfigVersion())
                .append(", meta leader ").append(status.getMetaLeaderId() == 0 ? "unknown" : status.getMetaLeaderId())
                .append('\n');

        Map<Long, Long> ages = new HashMap<>();
        for (ServerStatus server : status.getServersList()) {
            ages.put(server.getServerId(), server.getLastHeartbeatAgeMillis());
        }
        Map<Long, GroupLeader> leaders = new HashMap<>();
        Map<Long, Integer> groupsLed = new HashMap<>();
        for (GroupLeader leader : status.getLeadersList()) {
            leaders.put(leader.getGroupId(), leader);
            groupsLed.merge(leader.getLeaderServerId(), 1, Integer::sum);
        }
        out.append("\nservers:\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "ADDRESS", "RAFT", "STATE", "HEARTBEAT", "LEADER OF"});
        for (ServerInfo server : map.getServersList()) {
            Long age = ages.get(server.getId());
            rows.add(new String[] {
                String.valueOf(server.getId()),
                server.getAddress() + (server.getClientAddress().isEmpty() ? "" : " (clients: " + server.getClientAddress() + ")"),
                server.getRaftAddress(), state(server.getState()),
                age == null || age < 0 ? "never" : String.format("%.1fs ago", age / 1000.0),
                String.valueOf(groupsLed.getOrDefault(server.getId(), 0))
            });
        }
        table(out, rows);

        Map<Long, List<Integer>> slotsByGroup = new HashMap<>();
        List<Integer> migrating = new ArrayList<>();
        // source -> target -> slots, and target -> source -> slots, of the MIGRATING slots.
        Map<Long, Map<Long, List<Integer>>> movingOut = new TreeMap<>();
        Map<Long, Map<Long, List<Integer>>> movingIn = new TreeMap<>();
        int unassigned = 0;
        for (int slot = 0; slot < map.getSlotsCount(); slot++) {
            SlotInfo info = map.getSlots(slot);
            if (info.getState() == SlotState.UNSET || info.getGroupId() == 0) {
                unassigned++;
                continue;
            }
            slotsByGroup.computeIfAbsent(info.getGroupId(), g -> new ArrayList<>()).add(slot);
            if (info.getState() == SlotState.MIGRATING || info.getState() == SlotState.IMPORTING) {
                migrating.add(slot);
            }
            if (info.getState() == SlotState.MIGRATING) {
                long source = info.getGroupId();
                long target = info.getMigrationGroupId();
                movingOut.computeIfAbsent(source, g -> new TreeMap<>()).computeIfAbsent(target, g -> new ArrayList<>())
                        .add(slot);
                movingIn.computeIfAbsent(target, g -> new TreeMap<>()).computeIfAbsent(source, g -> new ArrayList<>())
                        .add(slot);
            }
        }
        out.append("\nshard groups:\n");
        rows = new ArrayList<>();
        rows.add(new String[] {"ID", "LEADER", "TERM", "MEMBERS", "SLOTS"});
        for (ShardGroupInfo group : map.getGroupsList()) {
            GroupLeader leader = leaders.get(group.getId());
            List<String> members = new ArrayList<>();
            for (Replica replica : group.getReplicasList()) {
                members.add(replica.getServerId() + (replica.getRole() == ReplicaRole.LEARNER ? "(learner)" : "(voter)"));
            }
            List<Integer> slots = slotsByGroup.getOrDefault(group.getId(), List.of());
            rows.add(new String[] {
                String.valueOf(group.getId()),
                leader == null || leader.getLeaderServerId() == 0 ? "-" : String.valueOf(leader.getLeaderServerId()),
                leader == null ? "-" : String.valueOf(leader.getTerm()),
                String.join(" ", members),
                SlotRanges.compress(slots) + " (" + slots.size() + ")"
                        + moves(movingOut.get(group.getId()), "migrating ", " -> group ")
                        + moves(movingIn.get(group.getId()), "importing ", " from group ")
            });
        }
        table(out, rows);
        if (unassigned > 0) {
            out.append("unassigned slots: ").append(unassigned).append('\n');
        }
        if (!migrating.isEmpty()) {
            out.append("migrating slots: ").append(SlotRanges.compress(migrating)).append('\n');
        }

        List<Task> pending = new ArrayList<>();
        for (Task task : map.getTasksList()) {
            if (task.getState() == TaskState.PENDING) {
                pending.add(task);
            }
        }
        out.append("\npending tasks: ").append(pending.isEmpty() ? "none" : String.valueOf(pending.size())).append('\n');
        for (Task task : pending) {
            out.append("  ").append(describe(task)).append('\n');
        }
        return out.toString();
    }

    /** {@code ; migrating 0-255 -> group 2} for each other group, or nothing. */
    private static String moves(Map<Long, List<Integer>> byGroup, String what, String direction) {
        if (byGroup == null) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        for (Map.Entry<Long, List<Integer>> entry : byGroup.entrySet()) {
            s.append("; ").append(what).append(SlotRanges.compress(entry.getValue())).append(direction)
                    .append(entry.getKey() == 0 ? "?" : String.valueOf(entry.getKey()));
        }
        return s.toString();
    }

    /** One line about a task: id, type, target, state, step and last error. */
    public static String describe(Task task) {
        StringBuilder s = new StringBuilder();
        s.append("task ").append(task.getId()).append(' ').append(task.getType());
        if (task.getGroupId() != 0) {
            s.append(" group ").append(task.getGroupId());
        }
        if (task.getTargetGroupId() != 0) {
            s.append(" -> group ").append(task.getTargetGroupId());
        }
        if (task.getServerId() != 0) {
            s.append(" server ").append(task.getServerId());
        }
        if (!task.getServerIdsList().isEmpty()) {
            s.append(" servers ").append(task.getServerIdsList());
        }
        if (!task.getSlotsList().isEmpty()) {
            s.append(" slots ").append(SlotRanges.compress(task.getSlotsList()));
        }
        s.append(": ").append(task.getState());
        if (!task.getStep().isEmpty()) {
            s.append(", step '").append(task.getStep()).append('\'');
        }
        if (!task.getAbortReason().isEmpty()) {
            s.append(task.getState() == TaskState.PENDING ? ", aborting: " : ", aborted: ").append(task.getAbortReason());
        }
        if (!task.getLastError().isEmpty()) {
            s.append(", last error: ").append(task.getLastError());
        }
        return s.toString();
    }

    private static String state(ServerState state) {
        switch (state) {
            case SERVER_RUNNING:
                return "RUNNING";
            case SERVER_DOWN:
                return "DOWN";
            default:
                return "UNKNOWN";
        }
    }

    /** Rows as columns padded to their widest cell, indented by two spaces; the first row is the header. */
    static void table(StringBuilder out, List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < columns; c++) {
                line.append(row[c]);
                if (c < columns - 1) {
                    line.append(" ".repeat(widths[c] - row[c].length() + 2));
                }
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}

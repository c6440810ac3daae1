package io.shardkv.kvctl;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders {@code kvctl cluster status}: servers, groups with leaders and slot ranges (with the
 * slots moving out of and into each group), tasks.
 */
public final class StatusFormatter {
    private StatusFormatter() {
    }

    public static String format(ClusterStatusResponse status) {
        ClusterMap map = status.getMap();
        StatusFacts facts = StatusFacts.of(status);
        StringBuilder out = new StringBuilder();
        out.append("config version ").append(map.getConfigVersion())
                .append(", meta leader ").append(status.getMetaLeaderId() == 0 ? "unknown" : status.getMetaLeaderId())
                .append('\n');

        out.append("\nservers:\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "ADDRESS", "RAFT", "STATE", "HEARTBEAT", "LEADER OF"});
        for (ServerInfo server : map.getServersList()) {
            long age = facts.heartbeatAgeMillis(server.getId());
            rows.add(new String[] {
                String.valueOf(server.getId()),
                server.getAddress() + (server.getClientAddress().isEmpty() ? "" : " (clients: " + server.getClientAddress() + ")"),
                server.getRaftAddress(), state(server.getState()),
                age < 0 ? "never" : String.format("%.1fs ago", age / 1000.0),
                String.valueOf(facts.groupsLedBy(server.getId()).size())
            });
        }
        table(out, rows);

        out.append("\nshard groups:\n");
        rows = new ArrayList<>();
        rows.add(new String[] {"ID", "LEADER", "TERM", "MEMBERS", "SLOTS"});
        for (ShardGroupInfo group : map.getGroupsList()) {
            GroupLeader leader = facts.maybeLeader(group.getId()).orElse(null);
            List<String> members = new ArrayList<>();
            for (Replica replica : group.getReplicasList()) {
                members.add(replica.getServerId() + (replica.getRole() == ReplicaRole.LEARNER ? "(learner)" : "(voter)"));
            }
            List<Integer> slots = facts.slotsOf(group.getId());
            rows.add(new String[] {
                String.valueOf(group.getId()),
                leader == null || leader.getLeaderServerId() == 0 ? "-" : String.valueOf(leader.getLeaderServerId()),
                leader == null ? "-" : String.valueOf(leader.getTerm()),
                String.join(" ", members),
                SlotRanges.compress(slots) + " (" + slots.size() + ")"
                        + moves(facts.slotsMovingOut(group.getId()), "migrating ", " -> group ")
                        + moves(facts.slotsMovingIn(group.getId()), "importing ", " from group ")
            });
        }
        table(out, rows);
        if (facts.unassignedSlots() > 0) {
            out.append("unassigned slots: ").append(facts.unassignedSlots()).append('\n');
        }
        if (!facts.movingSlots().isEmpty()) {
            out.append("migrating slots: ").append(SlotRanges.compress(facts.movingSlots())).append('\n');
        }

        List<Task> pending = facts.pendingTasks();
        out.append("\npending tasks: ").append(pending.isEmpty() ? "none" : String.valueOf(pending.size())).append('\n');
        for (Task task : pending) {
            out.append("  ").append(describe(task)).append('\n');
        }
        return out.toString();
    }

    /** {@code ; migrating 0-255 -> group 2} for each other group, or nothing. */
    private static String moves(Map<Long, List<Integer>> byGroup, String what, String direction) {
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

    /** RUNNING, DOWN or UNKNOWN. */
    static String state(ServerState state) {
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

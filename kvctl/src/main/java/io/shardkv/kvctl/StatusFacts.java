package io.shardkv.kvctl;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code cluster status} shows beyond the map's own lists, gathered once from one
 * ClusterStatusResponse so that the table ({@link StatusFormatter}) and the JSON
 * ({@link StatusJson}) say the same: heartbeat ages, group leaders, each group's slots and the
 * slots moving out of and into it, unassigned slots, pending tasks.
 */
final class StatusFacts {
    private final Map<Long, Long> heartbeatAges = new HashMap<>();
    private final Map<Long, GroupLeader> leaders = new HashMap<>();
    /** Server id to the groups it leads, one entry per GroupLeader naming it, ascending. */
    private final Map<Long, List<Long>> groupsLed = new HashMap<>();
    private final Map<Long, List<Integer>> slotsByGroup = new HashMap<>();
    /** Slots in state MIGRATING or IMPORTING, ascending. */
    private final List<Integer> movingSlots = new ArrayList<>();
    /** Of the MIGRATING slots: source to target to slots, and target to source to slots. */
    private final Map<Long, Map<Long, List<Integer>>> movingOut = new TreeMap<>();
    private final Map<Long, Map<Long, List<Integer>>> movingIn = new TreeMap<>();
    private final List<Task> pendingTasks = new ArrayList<>();
    private int unassignedSlots;

    private StatusFacts() {
    }

    static StatusFacts of(ClusterStatusResponse status) {
        StatusFacts facts = new StatusFacts();
        for (ServerStatus server : status.getServersList()) {
            facts.heartbeatAges.put(server.getServerId(), server.getLastHeartbeatAgeMillis());
        }
        for (GroupLeader leader : status.getLeadersList()) {
            facts.leaders.put(leader.getGroupId(), leader);
            facts.groupsLed.computeIfAbsent(leader.getLeaderServerId(), s -> new ArrayList<>())
                    .add(leader.getGroupId());
        }
        for (List<Long> groups : facts.groupsLed.values()) {
            groups.sort(Long::compareUnsigned);
        }
        ClusterMap map = status.getMap();
        for (int slot = 0; slot < map.getSlotsCount(); slot++) {
            facts.addSlot(slot, map.getSlots(slot));
        }
        for (Task task : map.getTasksList()) {
            if (task.getState() == TaskState.PENDING) {
                facts.pendingTasks.add(task);
            }
        }
        return facts;
    }

    private void addSlot(int slot, SlotInfo info) {
        if (info.getState() == SlotState.UNSET || info.getGroupId() == 0) {
            unassignedSlots++;
            return;
        }
        slotsByGroup.computeIfAbsent(info.getGroupId(), g -> new ArrayList<>()).add(slot);
        if (info.getState() == SlotState.MIGRATING || info.getState() == SlotState.IMPORTING) {
            movingSlots.add(slot);
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

    /** Milliseconds since the meta leader last heard from the server; -1 if it never did or does not say. */
    long heartbeatAgeMillis(long serverId) {
        Long age = heartbeatAges.get(serverId);
        return age == null || age < 0 ? -1 : age;
    }

    /** The groups the server leads, ascending. */
    List<Long> groupsLedBy(long serverId) {
        return Collections.unmodifiableList(groupsLed.getOrDefault(serverId, List.of()));
    }

    /** The group's leader and term as the meta leader knows them, if it reported any. */
    Optional<GroupLeader> maybeLeader(long groupId) {
        return Optional.ofNullable(leaders.get(groupId));
    }

    /** The slots the group owns, those moving out included, ascending. */
    List<Integer> slotsOf(long groupId) {
        return Collections.unmodifiableList(slotsByGroup.getOrDefault(groupId, List.of()));
    }

    /** The group's slots in state MIGRATING by the group they go to (0: not known), in group order. */
    Map<Long, List<Integer>> slotsMovingOut(long groupId) {
        return Collections.unmodifiableMap(movingOut.getOrDefault(groupId, Map.of()));
    }

    /** The slots in state MIGRATING towards the group, by the group they come from, in group order. */
    Map<Long, List<Integer>> slotsMovingIn(long groupId) {
        return Collections.unmodifiableMap(movingIn.getOrDefault(groupId, Map.of()));
    }

    /** Every slot in state MIGRATING or IMPORTING, ascending. */
    List<Integer> movingSlots() {
        return Collections.unmodifiableList(movingSlots);
    }

    /** Slots UNSET or without an owner. */
    int unassignedSlots() {
        return unassignedSlots;
    }

    /** The map's PENDING tasks, in the map's order. */
    List<Task> pendingTasks() {
        return Collections.unmodifiableList(pendingTasks);
    }
}

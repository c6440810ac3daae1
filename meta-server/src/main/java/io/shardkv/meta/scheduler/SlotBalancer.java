package io.shardkv.meta.scheduler;

import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Plans the slot moves that even out the groups' shares (DESIGN 5, balancing): by slot count for
 * now. Nothing moves while the spread between the fullest and the emptiest group is within the
 * tolerance (hysteresis: a move never starts for a difference of a few slots); otherwise the
 * fullest group gives the emptiest as many slots as brings one of them to the mean, its highest
 * slots, so ranges stay compact. One move at a time; the scheduler plans the next only once no
 * task is pending. Groups being removed take no part (their drain moves their slots). Pure.
 */
final class SlotBalancer {
    /** A planned move: slots from a group to another. */
    record Move(long from, long to, List<Integer> slots) {
        MetaCommand command(long configVersion) {
            return MetaCommand.moveSlots(slots, to, configVersion);
        }
    }

    private final int tolerance;

    /** @param tolerance the spread in slots left alone */
    SlotBalancer(int tolerance) {
        if (tolerance < 1) {
            throw new IllegalArgumentException("the tolerance is at least one slot, got " + tolerance);
        }
        this.tolerance = tolerance;
    }

    Optional<Move> plan(ClusterMap map) {
        Map<Long, List<Integer>> owned = ownedSlots(map, removing(map));
        if (owned.size() < 2) {
            return Optional.empty();
        }
        long fullest = 0;
        long emptiest = 0;
        int total = 0;
        for (Map.Entry<Long, List<Integer>> e : owned.entrySet()) {
            int n = e.getValue().size();
            total += n;
            if (fullest == 0 || n > owned.get(fullest).size()) {
                fullest = e.getKey();
            }
            if (emptiest == 0 || n < owned.get(emptiest).size()) {
                emptiest = e.getKey();
            }
        }
        int max = owned.get(fullest).size();
        int min = owned.get(emptiest).size();
        if (max - min <= tolerance) {
            return Optional.empty();
        }
        int mean = total / owned.size();
        int count = Math.max(1, Math.min(max - mean, mean - min));
        List<Integer> from = owned.get(fullest);
        return Optional.of(new Move(fullest, emptiest, List.copyOf(from.subList(from.size() - count, from.size()))));
    }

    /**
     * Where a group being removed sends its next slots: to the group (not being removed) with the
     * fewest, as many as bring it to the mean the others will hold once the drain is over (all
     * that is left when it is the last), its highest ones.
     */
    static Optional<Move> drain(ClusterMap map, long group) {
        Set<Long> removing = removing(map);
        removing.add(group);
        Map<Long, List<Integer>> owned = ownedSlots(map, removing);
        List<Integer> left = new ArrayList<>();
        for (int slot = 0; slot < map.getSlotsCount(); slot++) {
            SlotInfo s = map.getSlots(slot);
            if (s.getState() == SlotState.RUNNING && s.getGroupId() == group) {
                left.add(slot);
            }
        }
        if (left.isEmpty() || owned.isEmpty()) {
            return Optional.empty();
        }
        long target = 0;
        for (Map.Entry<Long, List<Integer>> e : owned.entrySet()) {
            if (target == 0 || e.getValue().size() < owned.get(target).size()) {
                target = e.getKey();
            }
        }
        int total = left.size();
        for (List<Integer> slots : owned.values()) {
            total += slots.size();
        }
        int mean = (total + owned.size() - 1) / owned.size();
        int count = Math.max(1, Math.min(left.size(), mean - owned.get(target).size()));
        return Optional.of(new Move(group, target, List.copyOf(left.subList(left.size() - count, left.size()))));
    }

    /** RUNNING slots per group, for every group not in {@code excluded} (groups owning none included). */
    private static Map<Long, List<Integer>> ownedSlots(ClusterMap map, Set<Long> excluded) {
        Map<Long, List<Integer>> owned = new TreeMap<>();
        for (ShardGroupInfo g : map.getGroupsList()) {
            if (!excluded.contains(g.getId()) && !ClusterMaps.voters(g).isEmpty()) {
                owned.put(g.getId(), new ArrayList<>());
            }
        }
        for (int slot = 0; slot < map.getSlotsCount(); slot++) {
            SlotInfo s = map.getSlots(slot);
            List<Integer> list = owned.get(s.getGroupId());
            if (list != null && s.getState() == SlotState.RUNNING) {
                list.add(slot);
            }
        }
        return owned;
    }

    /** Groups with a pending REMOVE_GROUP task. */
    private static Set<Long> removing(ClusterMap map) {
        Set<Long> out = new TreeSet<>();
        for (Task t : map.getTasksList()) {
            if (t.getType() == TaskType.REMOVE_GROUP && t.getState() == TaskState.PENDING) {
                out.add(t.getGroupId());
            }
        }
        return out;
    }
}

package io.shardkv.meta.map;

import io.shardkv.common.Slots;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MoveAbort;
import io.shardkv.meta.proto.MoveCommit;
import io.shardkv.meta.proto.MoveSlots;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The map's side of slot migration (DESIGN 5, steps 1 and 7): planning a move, committing it, and
 * deciding an abort. The meta log holds a commit or an abort for a move, never both: a commit
 * refuses a move being aborted, and an abort refuses a committed one. Pure, like the rest of
 * {@link MapTransitions}.
 */
public final class SlotMoves {
    /** Steps at which a move has committed: past them it can only complete. */
    public static final String COMMITTED = "committed";
    public static final String ACTIVATED = "activated";
    /**
     * The steps a move may commit from: the scheduler commits once the target reported ready, which
     * it can only be after the source's freeze (its ImportReady needs the journal's end at the
     * freeze). It does so right after the freeze when the target is ready at once, without
     * recording "frozen" and "ready" first: each record is a meta log entry inside the freeze window.
     */
    public static final String READY = "ready";
    public static final String COPIED = "copied";
    public static final String FROZEN = "frozen";

    private SlotMoves() {
    }

    /** Whether a MOVE_SLOTS task at {@code step} has committed. */
    public static boolean committed(String step) {
        return step.equals(COMMITTED) || step.equals(ACTIVATED);
    }

    static MapTransitions.Outcome plan(ClusterMap map, MoveSlots m) {
        Optional<MapTransitions.Outcome> stale = MapTransitions.checkVersion(map, m.getConfigVersion());
        if (stale.isPresent()) {
            return stale.get();
        }
        long target = m.getTargetGroupId();
        if (ClusterMaps.group(map, target).isEmpty()) {
            return MapTransitions.refuse(map, MetaErrorCode.NOT_FOUND, "group " + target + " does not exist");
        }
        if (m.getSlotsCount() == 0) {
            return MapTransitions.refuse(map, MetaErrorCode.INVALID_ARGUMENT, "a move needs at least one slot");
        }
        BitSet seen = new BitSet(Slots.COUNT);
        Map<Long, List<Integer>> bySource = new TreeMap<>();
        for (int slot : m.getSlotsList()) {
            if (slot < 0 || slot >= Slots.COUNT) {
                return MapTransitions.refuse(map, MetaErrorCode.INVALID_ARGUMENT, "slot " + slot + " is outside [0, "
                        + Slots.COUNT + ")");
            }
            if (seen.get(slot)) {
                return MapTransitions.refuse(map, MetaErrorCode.INVALID_ARGUMENT, "slot " + slot + " is listed twice");
            }
            seen.set(slot);
            SlotInfo info = map.getSlots(slot);
            if (info.getState() == SlotState.MIGRATING && info.getMigrationGroupId() == target) {
                // Already on its way there: a repeated request (a retry after a timeout) joins that move.
                continue;
            }
            if (info.getState() == SlotState.MIGRATING || info.getState() == SlotState.IMPORTING) {
                return MapTransitions.refuse(map, MetaErrorCode.FAILED_PRECONDITION, "slot " + slot
                        + " is already moving from group " + info.getGroupId() + " to group "
                        + info.getMigrationGroupId() + "; wait for that move or cancel it");
            }
            if (info.getState() != SlotState.RUNNING || info.getGroupId() == 0) {
                return MapTransitions.refuse(map, MetaErrorCode.FAILED_PRECONDITION, "slot " + slot
                        + " has no owner yet; the cluster assigns every slot at bootstrap");
            }
            if (info.getGroupId() != target) {
                bySource.computeIfAbsent(info.getGroupId(), g -> new ArrayList<>()).add(slot);
            }
        }
        if (bySource.isEmpty()) {
            return MapTransitions.unchanged(map); // every slot is there already, or on its way
        }
        if (MapTransitions.removing(map, target)) {
            return MapTransitions.refuse(map, MetaErrorCode.FAILED_PRECONDITION, "group " + target
                    + " is being removed; it takes no slots");
        }
        for (long g : bySource.keySet()) {
            // A group being removed drains by moves: its removal task does not hold them up.
            if (!MapTransitions.removing(map, g) || hasPendingMove(map, g)) {
                Optional<MapTransitions.Outcome> busy = MapTransitions.checkNoPendingTask(map, g);
                if (busy.isPresent()) {
                    return busy.get();
                }
            }
        }
        Optional<MapTransitions.Outcome> busy = MapTransitions.checkNoPendingTask(map, target);
        if (busy.isPresent()) {
            return busy.get();
        }
        ClusterMap.Builder b = map.toBuilder();
        long first = 0;
        for (Map.Entry<Long, List<Integer>> e : bySource.entrySet()) {
            List<Integer> slots = e.getValue();
            slots.sort(null);
            Task.Builder t = MapTransitions.newTask(b, TaskType.MOVE_SLOTS, e.getKey()).setTargetGroupId(target)
                    .addAllSlots(slots);
            first = first == 0 ? t.getId() : first;
            b.addTasks(t);
            for (int slot : slots) {
                b.setSlots(slot, b.getSlots(slot).toBuilder().setState(SlotState.MIGRATING)
                        .setMigrationGroupId(target));
            }
        }
        return MapTransitions.changed(b, null, first);
    }

    static MapTransitions.Outcome commit(ClusterMap map, MoveCommit c) {
        ClusterMap.Builder b = map.toBuilder();
        int i = MapTransitions.pendingTaskIndex(b, c.getTaskId());
        Optional<MapTransitions.Outcome> refused = MapTransitions.taskNotPending(map, i, c.getTaskId());
        if (refused.isPresent()) {
            return refused.get();
        }
        Task t = b.getTasks(i);
        if (t.getType() != TaskType.MOVE_SLOTS) {
            return MapTransitions.refuse(map, MetaErrorCode.INVALID_ARGUMENT, "task " + t.getId() + " is a "
                    + t.getType() + ", not a slot move");
        }
        if (committed(t.getStep())) {
            return MapTransitions.unchanged(map);
        }
        if (!t.getAbortReason().isEmpty()) {
            return MapTransitions.refuse(map, MetaErrorCode.FAILED_PRECONDITION, "move " + t.getId()
                    + " is being aborted (" + t.getAbortReason() + "); it cannot commit");
        }
        if (!t.getStep().equals(READY) && !t.getStep().equals(COPIED) && !t.getStep().equals(FROZEN)) {
            return MapTransitions.refuse(map, MetaErrorCode.FAILED_PRECONDITION, "move " + t.getId() + " is at step '"
                    + t.getStep() + "'; it commits only once the source froze and the target is ready");
        }
        // One new epoch for all the task's slots, above each one's: the groups record it with one step.
        long epoch = 0;
        for (int slot : t.getSlotsList()) {
            epoch = Math.max(epoch, b.getSlots(slot).getEpoch() + 1);
        }
        for (int slot : t.getSlotsList()) {
            b.setSlots(slot, b.getSlots(slot).toBuilder().setState(SlotState.RUNNING).setGroupId(t.getTargetGroupId())
                    .setMigrationGroupId(0).setEpoch(epoch));
        }
        b.setTasks(i, t.toBuilder().setStep(COMMITTED).setLastError("").setLastErrorCode(""));
        return MapTransitions.changed(b, null, t.getId());
    }

    static MapTransitions.Outcome abort(ClusterMap map, MoveAbort a) {
        ClusterMap.Builder b = map.toBuilder();
        int i = MapTransitions.pendingTaskIndex(b, a.getTaskId());
        Optional<MapTransitions.Outcome> refused = MapTransitions.taskNotPending(map, i, a.getTaskId());
        if (refused.isPresent()) {
            return refused.get();
        }
        Task t = b.getTasks(i);
        if (t.getType() != TaskType.MOVE_SLOTS) {
            return MapTransitions.refuse(map, MetaErrorCode.INVALID_ARGUMENT, "task " + t.getId() + " is a "
                    + t.getType() + ", not a slot move; only slot moves can be cancelled");
        }
        if (committed(t.getStep())) {
            return MapTransitions.refuse(map, MetaErrorCode.FAILED_PRECONDITION, "move " + t.getId()
                    + " has committed (the slots belong to group " + t.getTargetGroupId() + " now); it completes"
                    + " and cannot be cancelled");
        }
        if (!t.getAbortReason().isEmpty()) {
            return MapTransitions.unchanged(map);
        }
        String reason = a.getReason().isEmpty() ? "cancelled" : a.getReason();
        b.setTasks(i, t.toBuilder().setAbortReason(reason));
        return MapTransitions.changed(b, null, t.getId());
    }

    /** A move that failed before committing: its slots stay with the source, RUNNING again. */
    static void undo(ClusterMap.Builder b, Task t) {
        if (committed(t.getStep())) {
            return;
        }
        for (int slot : t.getSlotsList()) {
            SlotInfo info = b.getSlots(slot);
            if (info.getState() == SlotState.MIGRATING && info.getGroupId() == t.getGroupId()) {
                b.setSlots(slot, info.toBuilder().setState(SlotState.RUNNING).setMigrationGroupId(0));
            }
        }
    }

    /** The pending moves to {@code target} of any of {@code slots}: what a repeated move request joins. */
    public static List<Long> pendingMovesOf(ClusterMap map, Collection<Integer> slots, long target) {
        Set<Integer> wanted = new HashSet<>(slots);
        List<Long> out = new ArrayList<>();
        for (Task t : map.getTasksList()) {
            if (t.getType() == TaskType.MOVE_SLOTS && t.getState() == TaskState.PENDING
                    && t.getTargetGroupId() == target && t.getSlotsList().stream().anyMatch(wanted::contains)) {
                out.add(t.getId());
            }
        }
        return out;
    }

    /** The MOVE_SLOTS tasks of the map, pending or finished, oldest first. */
    public static List<Task> moves(ClusterMap map) {
        List<Task> out = new ArrayList<>();
        for (Task t : map.getTasksList()) {
            if (t.getType() == TaskType.MOVE_SLOTS) {
                out.add(t);
            }
        }
        return out;
    }

    private static boolean hasPendingMove(ClusterMap map, long group) {
        return ClusterMaps.pendingTasks(map).stream().anyMatch(t -> t.getType() == TaskType.MOVE_SLOTS
                && (t.getGroupId() == group || t.getTargetGroupId() == group));
    }

    /** Whether the task is a pending slot move. */
    public static boolean pendingMove(Task t) {
        return t.getType() == TaskType.MOVE_SLOTS && t.getState() == TaskState.PENDING;
    }
}

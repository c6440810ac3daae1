package io.shardkv.chaos;

import io.shardkv.client.MetaAdmin;
import io.shardkv.common.Slots;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The nemesis's cluster changes: slot moves of the checked keys' slots (with some slots of
 * write-once keys of the same group), and a replica added to or removed from a group. Each is a
 * meta-server task, followed here until it ends; one of each kind at a time.
 */
final class Reconfigurer {
    /** Write-once slots a move takes along with the checked key's slot. */
    private static final int EXTRA_SLOTS = 4;

    /** A task started here and not yet seen ending. */
    private record Pending(String what, boolean move, long startMicros) {
    }

    private final MetaAdmin admin;
    private final Workload workload;
    private final EventLog log;
    private final Random random;
    private final int replicas;
    private final int kvServers;
    private final Map<Long, Pending> pending = new LinkedHashMap<>();
    private int started;
    private int done;
    private int failed;

    Reconfigurer(MetaAdmin admin, Workload workload, EventLog log, Random random, int replicas, int kvServers) {
        this.admin = admin;
        this.workload = workload;
        this.log = log;
        this.random = random;
        this.replicas = replicas;
        this.kvServers = kvServers;
    }

    /**
     * Groups that a pending task of the meta-server works on: a second task on one of them would
     * be refused until the first ends, so the nemesis picks other groups.
     */
    private static Set<Long> busyGroups(ClusterMap map) {
        Set<Long> busy = new TreeSet<>();
        for (Task t : map.getTasksList()) {
            if (t.getState() == TaskState.PENDING) {
                busy.add(t.getGroupId());
                busy.add(t.getTargetGroupId());
            }
        }
        return busy;
    }

    /** Starts a move of a random checked key's slot to another group, unless one is still going. */
    void maybeMove() {
        if (pending.values().stream().anyMatch(Pending::move)) {
            log.event("move skipped: the last one has not ended");
            return;
        }
        String key = workload.keys().get(random.nextInt(workload.keys().size()));
        int slot = Slots.of(key.getBytes(StandardCharsets.UTF_8));
        List<Integer> extra = workload.someOnceSlots(random, EXTRA_SLOTS * 4);
        try {
            ClusterMap map = admin.getClusterMap();
            SlotInfo info = map.getSlots(slot);
            if (info.getState() != SlotState.RUNNING) {
                log.event("move skipped: slot " + slot + " of " + key + " is " + info.getState());
                return;
            }
            Set<Long> busy = busyGroups(map);
            if (busy.contains(info.getGroupId())) {
                log.event("move skipped: group " + info.getGroupId() + " of " + key + " has a task pending");
                return;
            }
            List<Long> others = new ArrayList<>();
            for (ShardGroupInfo g : map.getGroupsList()) {
                if (g.getId() != info.getGroupId() && !busy.contains(g.getId())) {
                    others.add(g.getId());
                }
            }
            if (others.isEmpty()) {
                log.event("move skipped: no other group without a pending task");
                return;
            }
            long target = others.get(random.nextInt(others.size()));
            Set<Integer> slots = new TreeSet<>(List.of(slot));
            for (int s : extra) {
                SlotInfo e = map.getSlots(s);
                if (slots.size() <= EXTRA_SLOTS && e.getGroupId() == info.getGroupId() && e.getState() == SlotState.RUNNING) {
                    slots.add(s);
                }
            }
            String what = "move slots " + slots + " (" + key + "'s and write-once keys') group " + info.getGroupId()
                    + " -> " + target;
            List<Long> tasks = admin.moveSlots(List.copyOf(slots), target);
            log.event(what + ": task " + tasks);
            for (long t : tasks) {
                pending.put(t, new Pending(what, true, log.nowMicros()));
                started++;
            }
        } catch (RuntimeException e) {
            log.event("move of " + key + "'s slot not started: " + e.getMessage());
        }
    }

    /** Adds a replica to a random group of {@code replicas}, or removes one from a group that has more. */
    void maybeChangeMember() {
        if (pending.values().stream().anyMatch(p -> !p.move())) {
            log.event("member change skipped: the last one has not ended");
            return;
        }
        try {
            ClusterMap map = admin.getClusterMap();
            Set<Long> busy = busyGroups(map);
            List<ShardGroupInfo> idle = map.getGroupsList().stream().filter(g -> !busy.contains(g.getId())).toList();
            if (idle.isEmpty()) {
                log.event("member change skipped: every group has a task pending");
                return;
            }
            ShardGroupInfo group = idle.get(random.nextInt(idle.size()));
            List<Long> members = group.getReplicasList().stream().map(Replica::getServerId).toList();
            List<Long> outside = new ArrayList<>();
            for (long id = 1; id <= kvServers; id++) {
                if (!members.contains(id)) {
                    outside.add(id);
                }
            }
            long server;
            String what;
            long task;
            if (members.size() <= replicas && !outside.isEmpty()) {
                server = outside.get(random.nextInt(outside.size()));
                what = "add kv-" + server + " to group " + group.getId() + " " + members;
                task = admin.addMember(group.getId(), server).getTaskId();
            } else if (members.size() > 1) {
                server = members.get(random.nextInt(members.size()));
                what = "remove kv-" + server + " from group " + group.getId() + " " + members;
                task = admin.removeMember(group.getId(), server).getTaskId();
            } else {
                log.event("member change skipped: group " + group.getId() + " has one replica and no server to add");
                return;
            }
            log.event(what + ": task " + task);
            pending.put(task, new Pending(what, false, log.nowMicros()));
            started++;
        } catch (RuntimeException e) {
            log.event("member change not started: " + e.getMessage());
        }
    }

    /** Asks for each pending task once, logging those that ended. A meta group that does not answer is asked next time. */
    void poll() {
        for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Pending> e = it.next();
            Task task;
            try {
                task = admin.getTask(e.getKey());
            } catch (RuntimeException ex) {
                return;
            }
            if (task.getState() == TaskState.DONE || task.getState() == TaskState.FAILED) {
                String took = EventLog.seconds(log.nowMicros() - e.getValue().startMicros());
                if (task.getState() == TaskState.DONE) {
                    done++;
                    log.event("task " + e.getKey() + " done after " + took + " s: " + e.getValue().what());
                } else {
                    failed++;
                    log.event("task " + e.getKey() + " failed after " + took + " s: " + e.getValue().what() + ": "
                            + (task.getAbortReason().isEmpty() ? task.getLastError() : task.getAbortReason()));
                }
                it.remove();
            }
        }
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Tasks not seen ending, described. */
    List<String> pendingTasks() {
        List<String> out = new ArrayList<>();
        pending.forEach((id, p) -> out.add("task " + id + ": " + p.what()));
        return out;
    }

    /** {@code 5 started, 4 done, 1 failed}. */
    String summary() {
        return started + " started, " + done + " done, " + failed + " failed, " + pending.size() + " unfinished";
    }
}

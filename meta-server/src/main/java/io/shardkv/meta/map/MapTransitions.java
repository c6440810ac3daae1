package io.shardkv.meta.map;

import io.shardkv.common.Slots;
import io.shardkv.meta.proto.AddGroup;
import io.shardkv.meta.proto.Bootstrap;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.MemberChange;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaLogCommand;
import io.shardkv.meta.proto.RegisterServer;
import io.shardkv.meta.proto.RemoveGroup;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.SetServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskComplete;
import io.shardkv.meta.proto.TaskFail;
import io.shardkv.meta.proto.TaskProgress;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The cluster map's transition function: {@code (map, command) -> (map', result)}. Pure and
 * deterministic, so every meta replica reaches the same map from the same log. Validation
 * happens here, at apply time, against the map as it is when the command commits: a command
 * checked by the leader against an older map may still be refused, with a typed result.
 *
 * <p>Every command that changes the map increases {@code config_version} by one; a refused
 * command or one with nothing to change leaves the map (and its version) as it was.
 */
public final class MapTransitions {
    /** Finished tasks kept in the map for status; older ones are dropped. */
    public static final int FINISHED_TASKS_KEPT = 100;

    /**
     * What applying a command did.
     *
     * @param map    the map after the command (the same object when nothing changed)
     * @param result the outcome: error OK or a typed refusal; group, version and task id when relevant
     */
    public record Outcome(ClusterMap map, ClusterShardgroupChangeResponse result) {
        public boolean ok() {
            return result.getError().getCode() == MetaErrorCode.OK;
        }
    }

    private MapTransitions() {
    }

    public static Outcome apply(ClusterMap map, MetaCommand command) {
        MetaLogCommand c = command.proto();
        switch (c.getCommandCase()) {
            case REGISTER_SERVER:
                return registerServer(map, c.getRegisterServer());
            case SET_SERVER_STATE:
                return setServerState(map, c.getSetServerState());
            case BOOTSTRAP:
                return bootstrap(map, c.getBootstrap());
            case ADD_GROUP:
                return addGroup(map, c.getAddGroup());
            case REMOVE_GROUP:
                return removeGroup(map, c.getRemoveGroup());
            case ADD_MEMBER:
                return addMember(map, c.getAddMember());
            case REMOVE_MEMBER:
                return removeMember(map, c.getRemoveMember());
            case TRANSFER_LEADER:
                return transferLeader(map, c.getTransferLeader());
            case TASK_PROGRESS:
                return taskProgress(map, c.getTaskProgress());
            case TASK_COMPLETE:
                return taskComplete(map, c.getTaskComplete());
            case TASK_FAIL:
                return taskFail(map, c.getTaskFail());
            case MOVE_SLOTS:
                return SlotMoves.plan(map, c.getMoveSlots());
            case MOVE_COMMIT:
                return SlotMoves.commit(map, c.getMoveCommit());
            case MOVE_ABORT:
                return SlotMoves.abort(map, c.getMoveAbort());
            default:
                throw new IllegalStateException("no transition for " + command.type());
        }
    }

    /** A refusal that leaves the map unchanged. */
    public static Outcome refuse(ClusterMap map, MetaErrorCode code, String message) {
        return new Outcome(map, ClusterShardgroupChangeResponse.newBuilder()
                .setError(MetaError.newBuilder().setCode(code).setMessage(message))
                .setConfigVersion(map.getConfigVersion()).build());
    }

    static Outcome unchanged(ClusterMap map) {
        return new Outcome(map, ok(map.getConfigVersion()).build());
    }

    private static ClusterShardgroupChangeResponse.Builder ok(long version) {
        return ClusterShardgroupChangeResponse.newBuilder().setError(MetaError.newBuilder().setCode(MetaErrorCode.OK))
                .setConfigVersion(version);
    }

    static Outcome changed(ClusterMap.Builder b, ShardGroupInfo group, long taskId) {
        b.setConfigVersion(b.getConfigVersion() + 1);
        trimFinishedTasks(b);
        ClusterMap next = b.build();
        ClusterShardgroupChangeResponse.Builder r = ok(next.getConfigVersion()).setTaskId(taskId);
        if (group != null) {
            r.setGroup(group);
        }
        return new Outcome(next, r.build());
    }

    static Optional<Outcome> checkVersion(ClusterMap map, long expected) {
        if (expected != 0 && expected != map.getConfigVersion()) {
            return Optional.of(refuse(map, MetaErrorCode.FAILED_PRECONDITION, "config_version " + expected
                    + " is not the current map version " + map.getConfigVersion()));
        }
        return Optional.empty();
    }

    private static Outcome registerServer(ClusterMap map, RegisterServer s) {
        if (s.getId() <= 0 || s.getAddress().isEmpty() || s.getRaftAddress().isEmpty()) {
            return refuse(map, MetaErrorCode.INVALID_ARGUMENT, "a server needs an id > 0, an address and a raft"
                    + " address; got id=" + s.getId() + " address='" + s.getAddress() + "' raft_address='"
                    + s.getRaftAddress() + "'");
        }
        ClusterMap.Builder b = map.toBuilder();
        for (int i = 0; i < b.getServersCount(); i++) {
            ServerInfo old = b.getServers(i);
            if (old.getId() == s.getId()) {
                if (old.getAddress().equals(s.getAddress()) && old.getRaftAddress().equals(s.getRaftAddress())
                        && old.getClientAddress().equals(s.getClientAddress())) {
                    return unchanged(map);
                }
                b.setServers(i, old.toBuilder().setAddress(s.getAddress()).setRaftAddress(s.getRaftAddress())
                        .setClientAddress(s.getClientAddress()));
                return changed(b, null, 0);
            }
        }
        b.addServers(ServerInfo.newBuilder().setId(s.getId()).setAddress(s.getAddress())
                .setRaftAddress(s.getRaftAddress()).setClientAddress(s.getClientAddress())
                .setState(ServerState.SERVER_RUNNING));
        // Servers stay sorted by id so every reader sees them in the same order.
        List<ServerInfo> sorted = new ArrayList<>(b.getServersList());
        sorted.sort((x, y) -> Long.compare(x.getId(), y.getId()));
        b.clearServers().addAllServers(sorted);
        return changed(b, null, 0);
    }

    private static Outcome setServerState(ClusterMap map, SetServerState s) {
        if (s.getState() != ServerState.SERVER_RUNNING && s.getState() != ServerState.SERVER_DOWN) {
            return refuse(map, MetaErrorCode.INVALID_ARGUMENT, "a server state is SERVER_RUNNING or SERVER_DOWN, got "
                    + s.getState());
        }
        ClusterMap.Builder b = map.toBuilder();
        for (int i = 0; i < b.getServersCount(); i++) {
            ServerInfo old = b.getServers(i);
            if (old.getId() == s.getId()) {
                if (old.getState() == s.getState()) {
                    return unchanged(map);
                }
                b.setServers(i, old.toBuilder().setState(s.getState()));
                return changed(b, null, 0);
            }
        }
        return refuse(map, MetaErrorCode.NOT_FOUND, "server " + s.getId() + " is not registered");
    }

    private static Outcome bootstrap(ClusterMap map, Bootstrap layout) {
        if (!ClusterMaps.neverBootstrapped(map)) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "the cluster already has or had groups"
                    + " (next group id " + map.getNextGroupId() + "); bootstrap happens once");
        }
        int groups = layout.getGroupsCount();
        if (groups == 0 || groups > Slots.COUNT) {
            return refuse(map, MetaErrorCode.INVALID_ARGUMENT, "bootstrap needs 1.." + Slots.COUNT
                    + " groups, got " + groups);
        }
        for (ShardGroupInfo g : layout.getGroupsList()) {
            List<Long> ids = new ArrayList<>();
            g.getReplicasList().forEach(r -> ids.add(r.getServerId()));
            Optional<String> bad = checkPlacement(map, ids);
            if (bad.isPresent()) {
                return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "bootstrap: " + bad.get());
            }
        }
        ClusterMap.Builder b = map.toBuilder();
        List<ShardGroupInfo> created = new ArrayList<>();
        for (ShardGroupInfo g : layout.getGroupsList()) {
            created.add(newGroup(b, g.getReplicasList().stream().map(Replica::getServerId).toList()));
        }
        for (int i = 0; i < groups; i++) {
            ShardGroupInfo g = created.get(i);
            int[] range = ClusterMaps.slotRange(i, groups);
            Task.Builder assign = newTask(b, TaskType.ASSIGN_SLOTS, g.getId());
            for (int slot = range[0]; slot < range[1]; slot++) {
                b.setSlots(slot, SlotInfo.newBuilder().setState(SlotState.RUNNING).setGroupId(g.getId()));
                assign.addSlots(slot);
            }
            b.addTasks(assign);
        }
        return changed(b, null, created.isEmpty() ? 0 : b.getTasks(0).getId());
    }

    /** Adds a group of voters and its CREATE_GROUP task to the builder; returns the group. */
    private static ShardGroupInfo newGroup(ClusterMap.Builder b, List<Long> voters) {
        long id = b.getNextGroupId();
        b.setNextGroupId(id + 1);
        ShardGroupInfo.Builder g = ShardGroupInfo.newBuilder().setId(id);
        voters.forEach(s -> g.addReplicas(Replica.newBuilder().setServerId(s).setRole(ReplicaRole.VOTER)));
        ShardGroupInfo group = g.build();
        b.addGroups(group);
        b.addTasks(newTask(b, TaskType.CREATE_GROUP, id).addAllServerIds(voters));
        return group;
    }

    static Task.Builder newTask(ClusterMap.Builder b, TaskType type, long groupId) {
        long id = b.getNextTaskId();
        b.setNextTaskId(id + 1);
        // created_version is the version this command produces (the builder's is bumped at the end).
        return Task.newBuilder().setId(id).setType(type).setGroupId(groupId).setState(TaskState.PENDING)
                .setCreatedVersion(b.getConfigVersion() + 1);
    }

    /** Why these servers cannot host a new group, if they cannot. */
    private static Optional<String> checkPlacement(ClusterMap map, List<Long> serverIds) {
        if (serverIds.isEmpty()) {
            return Optional.of("a group needs at least one server");
        }
        Set<Long> seen = new HashSet<>();
        for (long id : serverIds) {
            if (!seen.add(id)) {
                return Optional.of("server " + id + " is listed twice");
            }
            Optional<ServerInfo> s = ClusterMaps.server(map, id);
            if (s.isEmpty()) {
                return Optional.of("server " + id + " is not registered");
            }
            if (s.get().getState() != ServerState.SERVER_RUNNING) {
                return Optional.of("server " + id + " is " + s.get().getState() + ", not SERVER_RUNNING");
            }
        }
        return Optional.empty();
    }

    private static Outcome addGroup(ClusterMap map, AddGroup r) {
        Optional<Outcome> stale = checkVersion(map, r.getConfigVersion());
        if (stale.isPresent()) {
            return stale.get();
        }
        Optional<String> bad = checkPlacement(map, r.getServerIdsList());
        if (bad.isPresent()) {
            boolean unknown = bad.get().endsWith("not registered");
            return refuse(map, unknown ? MetaErrorCode.NOT_FOUND : MetaErrorCode.FAILED_PRECONDITION,
                    "cannot add a group: " + bad.get());
        }
        ClusterMap.Builder b = map.toBuilder();
        ShardGroupInfo g = newGroup(b, r.getServerIdsList());
        return changed(b, g, b.getTasks(b.getTasksCount() - 1).getId());
    }

    private static Outcome removeGroup(ClusterMap map, RemoveGroup r) {
        Optional<Outcome> stale = checkVersion(map, r.getConfigVersion());
        if (stale.isPresent()) {
            return stale.get();
        }
        long gid = r.getGroupId();
        Optional<ShardGroupInfo> g = ClusterMaps.group(map, gid);
        if (g.isEmpty()) {
            return refuse(map, MetaErrorCode.NOT_FOUND, "group " + gid + " does not exist");
        }
        int slots = ClusterMaps.slotsOf(map, gid);
        if (slots > 0 && map.getGroupsList().stream().noneMatch(other -> other.getId() != gid
                && ClusterMaps.voters(other).size() > 0 && !removing(map, other.getId()))) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "group " + gid + " owns " + slots
                    + " slots and no other group can take them; add a group first");
        }
        Optional<Outcome> busy = checkNoPendingTask(map, gid);
        if (busy.isPresent()) {
            return busy.get();
        }
        ClusterMap.Builder b = map.toBuilder();
        Task.Builder t = newTask(b, TaskType.REMOVE_GROUP, gid);
        g.get().getReplicasList().forEach(rep -> t.addServerIds(rep.getServerId()));
        b.addTasks(t);
        return changed(b, g.get(), t.getId());
    }

    /** Whether the group has a pending REMOVE_GROUP task. */
    static boolean removing(ClusterMap map, long groupId) {
        return ClusterMaps.pendingTasks(map).stream()
                .anyMatch(t -> t.getType() == TaskType.REMOVE_GROUP && t.getGroupId() == groupId);
    }

    /**
     * One change at a time per group, except that a pending leader transfer does not block: it is
     * short, often the balancer's own, and gives way to a task queued behind it (TaskStepper).
     */
    static Optional<Outcome> checkNoPendingTask(ClusterMap map, long groupId) {
        return ClusterMaps.pendingTasks(map).stream()
                .filter(t -> (t.getGroupId() == groupId || t.getTargetGroupId() == groupId)
                        && t.getType() != TaskType.TRANSFER_LEADER).findFirst()
                .map(t -> refuse(map, MetaErrorCode.FAILED_PRECONDITION, "group " + groupId
                        + " already has pending task " + t.getId() + " (" + t.getType() + "); wait for it to finish"));
    }

    /**
     * What a members change names: its group and server, or the refusal when its version is stale
     * or either is unknown.
     */
    private record ResolvedMember(Outcome refusal, ShardGroupInfo group, ServerInfo server) {
        static ResolvedMember resolve(ClusterMap map, MemberChange r) {
            Optional<Outcome> stale = checkVersion(map, r.getConfigVersion());
            if (stale.isPresent()) {
                return new ResolvedMember(stale.get(), null, null);
            }
            Optional<ShardGroupInfo> g = ClusterMaps.group(map, r.getGroupId());
            if (g.isEmpty()) {
                return new ResolvedMember(refuse(map, MetaErrorCode.NOT_FOUND, "group " + r.getGroupId()
                        + " does not exist"), null, null);
            }
            Optional<ServerInfo> s = ClusterMaps.server(map, r.getServerId());
            if (s.isEmpty()) {
                return new ResolvedMember(refuse(map, MetaErrorCode.NOT_FOUND, "server " + r.getServerId()
                        + " is not registered"), null, null);
            }
            return new ResolvedMember(null, g.get(), s.get());
        }
    }

    private static Outcome addMember(ClusterMap map, MemberChange r) {
        ResolvedMember c = ResolvedMember.resolve(map, r);
        if (c.refusal() != null) {
            return c.refusal();
        }
        if (ClusterMaps.replica(c.group(), r.getServerId()).isPresent()) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "server " + r.getServerId()
                    + " is already a member of group " + r.getGroupId());
        }
        if (c.server().getState() != ServerState.SERVER_RUNNING) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "server " + r.getServerId() + " is "
                    + c.server().getState() + "; only a running server can join a group");
        }
        Optional<Outcome> busy = checkNoPendingTask(map, r.getGroupId());
        if (busy.isPresent()) {
            return busy.get();
        }
        ClusterMap.Builder b = map.toBuilder();
        ShardGroupInfo updated = c.group().toBuilder()
                .addReplicas(Replica.newBuilder().setServerId(r.getServerId()).setRole(ReplicaRole.LEARNER)).build();
        replaceGroup(b, updated);
        Task.Builder t = newTask(b, TaskType.ADD_MEMBER, r.getGroupId()).setServerId(r.getServerId());
        b.addTasks(t);
        return changed(b, updated, t.getId());
    }

    private static Outcome removeMember(ClusterMap map, MemberChange r) {
        ResolvedMember c = ResolvedMember.resolve(map, r);
        if (c.refusal() != null) {
            return c.refusal();
        }
        Optional<Replica> rep = ClusterMaps.replica(c.group(), r.getServerId());
        if (rep.isEmpty()) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "server " + r.getServerId()
                    + " is not a member of group " + r.getGroupId());
        }
        if (rep.get().getRole() == ReplicaRole.VOTER && ClusterMaps.voters(c.group()).size() == 1) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "server " + r.getServerId()
                    + " is the last voter of group " + r.getGroupId() + "; remove the group instead");
        }
        if (rep.get().getRole() == ReplicaRole.VOTER) {
            List<Long> left = new ArrayList<>(ClusterMaps.voters(c.group()));
            left.remove(r.getServerId());
            long running = left.stream().filter(id -> ClusterMaps.isRunning(map, id)).count();
            if (running < left.size() / 2 + 1) {
                return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "removing server " + r.getServerId()
                        + " would leave group " + r.getGroupId() + " with " + running + " running of voters " + left
                        + ", no majority; bring the down voters back, or remove them first");
            }
        }
        Optional<Outcome> busy = checkNoPendingTask(map, r.getGroupId());
        if (busy.isPresent()) {
            return busy.get();
        }
        ClusterMap.Builder b = map.toBuilder();
        Task.Builder t = newTask(b, TaskType.REMOVE_MEMBER, r.getGroupId()).setServerId(r.getServerId());
        b.addTasks(t);
        return changed(b, c.group(), t.getId());
    }

    /** A task to move the group's leadership; the map itself changes only by the task. */
    private static Outcome transferLeader(ClusterMap map, MemberChange r) {
        ResolvedMember c = ResolvedMember.resolve(map, r);
        if (c.refusal() != null) {
            return c.refusal();
        }
        Optional<Replica> rep = ClusterMaps.replica(c.group(), r.getServerId());
        if (rep.isEmpty() || rep.get().getRole() != ReplicaRole.VOTER) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "server " + r.getServerId()
                    + " is not a voter of group " + r.getGroupId() + "; only a voter can lead");
        }
        if (c.server().getState() != ServerState.SERVER_RUNNING) {
            return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "server " + r.getServerId() + " is "
                    + c.server().getState() + "; only a running server can take over leadership");
        }
        Optional<Outcome> busy = checkNoPendingTask(map, r.getGroupId());
        if (busy.isPresent()) {
            return busy.get();
        }
        ClusterMap.Builder b = map.toBuilder();
        Task.Builder t = newTask(b, TaskType.TRANSFER_LEADER, r.getGroupId()).setServerId(r.getServerId());
        b.addTasks(t);
        return changed(b, c.group(), t.getId());
    }

    private static void replaceGroup(ClusterMap.Builder b, ShardGroupInfo group) {
        for (int i = 0; i < b.getGroupsCount(); i++) {
            if (b.getGroups(i).getId() == group.getId()) {
                b.setGroups(i, group);
                return;
            }
        }
        throw new IllegalStateException("group " + group.getId() + " is not in the map");
    }

    static int pendingTaskIndex(ClusterMap.Builder b, long taskId) {
        for (int i = 0; i < b.getTasksCount(); i++) {
            if (b.getTasks(i).getId() == taskId) {
                return b.getTasks(i).getState() == TaskState.PENDING ? i : -2;
            }
        }
        return -1;
    }

    static Optional<Outcome> taskNotPending(ClusterMap map, int index, long taskId) {
        if (index == -1) {
            return Optional.of(refuse(map, MetaErrorCode.NOT_FOUND, "task " + taskId + " does not exist"));
        }
        if (index == -2) {
            return Optional.of(refuse(map, MetaErrorCode.FAILED_PRECONDITION, "task " + taskId
                    + " is already finished"));
        }
        return Optional.empty();
    }

    private static Outcome taskProgress(ClusterMap map, TaskProgress p) {
        ClusterMap.Builder b = map.toBuilder();
        int i = pendingTaskIndex(b, p.getId());
        Optional<Outcome> refused = taskNotPending(map, i, p.getId());
        if (refused.isPresent()) {
            return refused.get();
        }
        Task t = b.getTasks(i);
        if (t.getStep().equals(p.getStep()) && t.getLastError().equals(p.getLastError())
                && t.getLastErrorCode().equals(p.getLastErrorCode())) {
            return unchanged(map);
        }
        b.setTasks(i, t.toBuilder().setStep(p.getStep()).setLastError(p.getLastError())
                .setLastErrorCode(p.getLastErrorCode()));
        return changed(b, null, t.getId());
    }

    private static Outcome taskFail(ClusterMap map, TaskFail p) {
        ClusterMap.Builder b = map.toBuilder();
        int i = pendingTaskIndex(b, p.getId());
        Optional<Outcome> refused = taskNotPending(map, i, p.getId());
        if (refused.isPresent()) {
            return refused.get();
        }
        Task t = b.getTasks(i);
        b.setTasks(i, t.toBuilder().setState(TaskState.FAILED).setLastError(p.getLastError()));
        if (t.getType() == TaskType.MOVE_SLOTS) {
            SlotMoves.undo(b, t);
        }
        if (t.getType() == TaskType.ADD_MEMBER) {
            // The learner never became a member: take it back out of the map.
            ClusterMaps.group(map, t.getGroupId()).ifPresent(g -> replaceGroup(b, withoutServer(g, t.getServerId())));
        }
        return changed(b, null, t.getId());
    }

    private static Outcome taskComplete(ClusterMap map, TaskComplete p) {
        ClusterMap.Builder b = map.toBuilder();
        int i = pendingTaskIndex(b, p.getId());
        Optional<Outcome> refused = taskNotPending(map, i, p.getId());
        if (refused.isPresent()) {
            return refused.get();
        }
        Task t = b.getTasks(i);
        b.setTasks(i, t.toBuilder().setState(TaskState.DONE).setLastError(""));
        Optional<ShardGroupInfo> g = ClusterMaps.group(map, t.getGroupId());
        if (t.getType() == TaskType.ADD_MEMBER && g.isPresent()) {
            ShardGroupInfo.Builder gb = g.get().toBuilder();
            for (int r = 0; r < gb.getReplicasCount(); r++) {
                if (gb.getReplicas(r).getServerId() == t.getServerId()) {
                    gb.setReplicas(r, gb.getReplicas(r).toBuilder().setRole(ReplicaRole.VOTER));
                }
            }
            replaceGroup(b, gb.build());
        } else if (t.getType() == TaskType.REMOVE_MEMBER && g.isPresent()) {
            replaceGroup(b, withoutServer(g.get(), t.getServerId()));
        } else if (t.getType() == TaskType.REMOVE_GROUP && g.isPresent()) {
            if (ClusterMaps.slotsOf(map, t.getGroupId()) > 0) {
                return refuse(map, MetaErrorCode.FAILED_PRECONDITION, "group " + t.getGroupId()
                        + " still owns slots; its removal completes once they moved away");
            }
            for (int gi = 0; gi < b.getGroupsCount(); gi++) {
                if (b.getGroups(gi).getId() == t.getGroupId()) {
                    b.removeGroups(gi);
                    break;
                }
            }
        }
        return changed(b, null, t.getId());
    }

    private static ShardGroupInfo withoutServer(ShardGroupInfo g, long serverId) {
        ShardGroupInfo.Builder gb = g.toBuilder().clearReplicas();
        for (Replica r : g.getReplicasList()) {
            if (r.getServerId() != serverId) {
                gb.addReplicas(r);
            }
        }
        return gb.build();
    }

    /** Keeps every pending task and the newest {@link #FINISHED_TASKS_KEPT} finished ones, in id order. */
    private static void trimFinishedTasks(ClusterMap.Builder b) {
        int finished = 0;
        for (Task t : b.getTasksList()) {
            if (t.getState() != TaskState.PENDING) {
                finished++;
            }
        }
        int drop = finished - FINISHED_TASKS_KEPT;
        if (drop <= 0) {
            return;
        }
        List<Task> kept = new ArrayList<>();
        for (Task t : b.getTasksList()) {
            if (t.getState() != TaskState.PENDING && drop > 0) {
                drop--;
            } else {
                kept.add(t);
            }
        }
        b.clearTasks().addAllTasks(kept);
    }
}

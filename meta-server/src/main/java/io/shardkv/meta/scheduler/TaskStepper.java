package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.MembershipChangeType;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.liveness.LeaderHints;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Carries out the next step of one task on the kv-servers, through their KvAdmin service.
 * Stateless: where a task stands is its recorded {@link Task#getStep()}, so a new meta leader
 * resumes exactly there. Every KvAdmin call is idempotent, so repeating a step whose success
 * was not recorded is harmless. Requests carry the task's created_version as config_version.
 *
 * <p>Steps per task type (the recorded step names the last one finished):
 * <ul>
 *   <li>CREATE_GROUP: CreateReplica(g, voters) on every voter → {@value #REPLICAS_CREATED};
 *       a replica reports a leader → done.</li>
 *   <li>ASSIGN_SLOTS: AssignSlots on the group leader → done.</li>
 *   <li>ADD_MEMBER: CreateReplica(g, []) on s → {@value #REPLICA_CREATED}; ADD_LEARNER on the
 *       leader → {@value #LEARNER_ADDED}; PROMOTE on the leader (refused while the learner
 *       catches up) → done. If s is marked DOWN first, the task fails (after taking a learner
 *       it added back out of the group).</li>
 *   <li>REMOVE_MEMBER: REMOVE on the leader → {@value #REMOVED_FROM_GROUP}; DestroyReplica on s
 *       (skipped while s is DOWN) → done.</li>
 *   <li>REMOVE_GROUP: DestroyReplica on every replica not DOWN → done.</li>
 *   <li>TRANSFER_LEADER: the target answers GroupStatus, then TransferLeader on the leader →
 *       {@value #TRANSFER_REQUESTED}; the target reports itself leader → done. Until then the
 *       request is repeated (a leader abandons a transfer that takes longer than an election
 *       timeout); it gives way to any task queued behind it.</li>
 * </ul>
 */
public final class TaskStepper {
    public static final String REPLICAS_CREATED = "replicas-created";
    public static final String REPLICA_CREATED = "replica-created";
    public static final String LEARNER_ADDED = "learner-added";
    public static final String REMOVED_FROM_GROUP = "removed-from-group";
    public static final String TRANSFER_REQUESTED = "transfer-requested";

    private final KvAdminCaller admin;
    private final LeaderHints hints;

    public TaskStepper(KvAdminCaller admin, LeaderHints hints) {
        this.admin = admin;
        this.hints = hints;
    }

    /** Tries the task's next step against the kv-servers named in {@code map}. */
    public StepResult step(Task task, ClusterMap map) {
        Optional<ShardGroupInfo> group = ClusterMaps.group(map, task.getGroupId());
        if (group.isEmpty()) {
            return new StepResult.Failed("group " + task.getGroupId() + " is no longer in the map");
        }
        switch (task.getType()) {
            case CREATE_GROUP:
                return createGroup(task, map);
            case ASSIGN_SLOTS:
                return assignSlots(task, map, group.get());
            case ADD_MEMBER:
                return addMember(task, map, group.get());
            case REMOVE_MEMBER:
                return removeMember(task, map, group.get());
            case REMOVE_GROUP:
                return removeGroup(task, map);
            case TRANSFER_LEADER:
                return transferLeader(task, map, group.get());
            default:
                return new StepResult.Failed("unknown task type " + task.getType());
        }
    }

    private StepResult createGroup(Task task, ClusterMap map) {
        long g = task.getGroupId();
        for (long id : task.getServerIdsList()) {
            if (ClusterMaps.server(map, id).isEmpty()) {
                return new StepResult.Failed("voter " + id + " of group " + g + " is no longer registered");
            }
        }
        if (!task.getStep().equals(REPLICAS_CREATED)) {
            CreateReplicaRequest req = CreateReplicaRequest.newBuilder().setGroupId(g)
                    .addAllInitialVoters(task.getServerIdsList()).setConfigVersion(task.getCreatedVersion()).build();
            for (long id : task.getServerIdsList()) {
                ServerInfo s = ClusterMaps.server(map, id).orElseThrow();
                Optional<String> failed = check("CreateReplica(group " + g + ") on server " + id,
                        () -> admin.createReplica(s, req));
                if (failed.isPresent()) {
                    return new StepResult.Retry(failed.get());
                }
            }
            return new StepResult.Advanced(REPLICAS_CREATED);
        }
        long hinted = hints.leaderOf(g);
        if (hinted != 0 && task.getServerIdsList().contains(hinted)) {
            return new StepResult.Completed();
        }
        String lastError = "no replica of group " + g + " reports a leader yet";
        for (long id : task.getServerIdsList()) {
            ServerInfo s = ClusterMaps.server(map, id).orElseThrow();
            try {
                GroupStatusResponse st = admin.groupStatus(s, GroupStatusRequest.newBuilder().setGroupId(g).build());
                if (st.getLeaderId() != 0) {
                    return new StepResult.Completed();
                }
            } catch (AdminCallException e) {
                lastError = e.getMessage();
            }
        }
        return new StepResult.Retry(lastError);
    }

    private StepResult assignSlots(Task task, ClusterMap map, ShardGroupInfo group) {
        AssignSlotsRequest req = AssignSlotsRequest.newBuilder().setGroupId(group.getId())
                .addAllSlots(task.getSlotsList()).setConfigVersion(task.getCreatedVersion()).build();
        Optional<String> failed = onLeader(map, group, "AssignSlots(group " + group.getId() + ")",
                s -> admin.assignSlots(s, req));
        return failed.<StepResult>map(StepResult.Retry::new).orElseGet(StepResult.Completed::new);
    }

    private StepResult addMember(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = group.getId();
        Optional<ServerInfo> server = ClusterMaps.server(map, task.getServerId());
        if (server.isEmpty()) {
            return new StepResult.Failed("server " + task.getServerId() + " is no longer registered");
        }
        if (server.get().getState() == ServerState.SERVER_DOWN) {
            return giveUpOnDownMember(task, map, group);
        }
        switch (task.getStep()) {
            case "": {
                CreateReplicaRequest req = CreateReplicaRequest.newBuilder().setGroupId(g)
                        .setConfigVersion(task.getCreatedVersion()).build();
                Optional<String> failed = check("CreateReplica(group " + g + ") on server " + task.getServerId(),
                        () -> admin.createReplica(server.get(), req));
                return failed.<StepResult>map(StepResult.Retry::new)
                        .orElseGet(() -> new StepResult.Advanced(REPLICA_CREATED));
            }
            case REPLICA_CREATED: {
                Optional<String> failed = changeMembership(map, group, MembershipChangeType.ADD_LEARNER, task);
                return failed.<StepResult>map(StepResult.Retry::new)
                        .orElseGet(() -> new StepResult.Advanced(LEARNER_ADDED));
            }
            case LEARNER_ADDED: {
                Optional<String> failed = changeMembership(map, group, MembershipChangeType.PROMOTE, task);
                return failed.<StepResult>map(StepResult.Retry::new).orElseGet(StepResult.Completed::new);
            }
            default:
                return new StepResult.Failed("unknown step '" + task.getStep() + "' for ADD_MEMBER");
        }
    }

    /**
     * The server being added went down: the task fails (the map then drops the learner), but
     * not before a learner already in the group's Raft membership is taken out of it again.
     */
    private StepResult giveUpOnDownMember(Task task, ClusterMap map, ShardGroupInfo group) {
        String why = "server " + task.getServerId() + " went down before it joined group " + group.getId();
        if (task.getStep().equals(LEARNER_ADDED)) {
            Optional<String> failed = changeMembership(map, group, MembershipChangeType.REMOVE, task);
            if (failed.isPresent()) {
                return new StepResult.Retry(why + "; removing its learner: " + failed.get());
            }
            why += "; its learner was removed";
        }
        return new StepResult.Failed(why);
    }

    private StepResult removeMember(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = group.getId();
        Optional<ServerInfo> server = ClusterMaps.server(map, task.getServerId());
        if (server.isEmpty()) {
            return new StepResult.Failed("server " + task.getServerId() + " is no longer registered");
        }
        switch (task.getStep()) {
            case "": {
                Optional<String> failed = changeMembership(map, group, MembershipChangeType.REMOVE, task);
                return failed.<StepResult>map(StepResult.Retry::new)
                        .orElseGet(() -> new StepResult.Advanced(REMOVED_FROM_GROUP));
            }
            case REMOVED_FROM_GROUP: {
                if (server.get().getState() == ServerState.SERVER_DOWN) {
                    // A kv-server destroys a replica it finds outside its group's membership by itself.
                    return new StepResult.Completed();
                }
                DestroyReplicaRequest req = DestroyReplicaRequest.newBuilder().setGroupId(g)
                        .setConfigVersion(task.getCreatedVersion()).build();
                Optional<String> failed = check("DestroyReplica(group " + g + ") on server " + task.getServerId(),
                        () -> admin.destroyReplica(server.get(), req));
                return failed.<StepResult>map(StepResult.Retry::new).orElseGet(StepResult.Completed::new);
            }
            default:
                return new StepResult.Failed("unknown step '" + task.getStep() + "' for REMOVE_MEMBER");
        }
    }

    private StepResult removeGroup(Task task, ClusterMap map) {
        long g = task.getGroupId();
        DestroyReplicaRequest req = DestroyReplicaRequest.newBuilder().setGroupId(g)
                .setConfigVersion(task.getCreatedVersion()).build();
        for (long id : task.getServerIdsList()) {
            Optional<ServerInfo> s = ClusterMaps.server(map, id);
            if (s.isEmpty() || s.get().getState() == ServerState.SERVER_DOWN) {
                continue;
            }
            Optional<String> failed = check("DestroyReplica(group " + g + ") on server " + id,
                    () -> admin.destroyReplica(s.get(), req));
            if (failed.isPresent()) {
                return new StepResult.Retry(failed.get());
            }
        }
        return new StepResult.Completed();
    }

    private StepResult transferLeader(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = group.getId();
        long target = task.getServerId();
        Optional<ServerInfo> server = ClusterMaps.server(map, target);
        if (server.isEmpty()) {
            return new StepResult.Failed("server " + target + " is no longer registered");
        }
        if (!ClusterMaps.voters(group).contains(target)) {
            return new StepResult.Failed("server " + target + " is no longer a voter of group " + g);
        }
        if (server.get().getState() == ServerState.SERVER_DOWN) {
            return new StepResult.Failed("server " + target + " is down; it cannot take over group " + g);
        }
        // The target's own view decides (heartbeat hints may lag), and a target that does not
        // answer gets no transfer: its leader would refuse writes while waiting for it.
        try {
            GroupStatusResponse st = admin.groupStatus(server.get(), GroupStatusRequest.newBuilder().setGroupId(g)
                    .build());
            if (st.getError().getCode() != ErrorCode.OK) {
                return new StepResult.Retry("GroupStatus(group " + g + ") on server " + target + ": "
                        + st.getError().getCode() + " " + st.getError().getMessage());
            }
            if (st.getRole().equals("LEADER")) {
                return new StepResult.Completed();
            }
        } catch (AdminCallException e) {
            return new StepResult.Retry(e.getMessage());
        }
        if (task.getStep().equals(TRANSFER_REQUESTED)) {
            Optional<Task> behind = ClusterMaps.pendingTasks(map).stream()
                    .filter(t -> t.getGroupId() == g && t.getId() != task.getId()).findFirst();
            if (behind.isPresent()) {
                return new StepResult.Failed("gave way to task " + behind.get().getId() + " ("
                        + behind.get().getType() + ") before server " + target + " took over");
            }
        }
        TransferLeaderRequest req = TransferLeaderRequest.newBuilder().setGroupId(g).setServerId(target)
                .setConfigVersion(task.getCreatedVersion()).build();
        Optional<String> failed = onLeader(map, group, "TransferLeader(group " + g + " to server " + target + ")",
                s -> admin.transferLeader(s, req));
        if (failed.isPresent()) {
            return new StepResult.Retry(failed.get());
        }
        return task.getStep().equals(TRANSFER_REQUESTED)
                ? new StepResult.Retry("server " + target + " has not taken over group " + g + " yet")
                : new StepResult.Advanced(TRANSFER_REQUESTED);
    }

    private Optional<String> changeMembership(ClusterMap map, ShardGroupInfo group, MembershipChangeType type,
                                              Task task) {
        ChangeMembershipRequest req = ChangeMembershipRequest.newBuilder().setGroupId(group.getId()).setType(type)
                .setServerId(task.getServerId()).setConfigVersion(task.getCreatedVersion()).build();
        return onLeader(map, group, type + " " + task.getServerId() + " in group " + group.getId(),
                s -> admin.changeMembership(s, req));
    }

    /**
     * Sends a call to the group's leader: the hinted leader first, then the running voters,
     * following NOT_LEADER hints. Empty when some server answered OK, else the last error.
     */
    private Optional<String> onLeader(ClusterMap map, ShardGroupInfo group, String what,
                                      Function<ServerInfo, AdminResponse> call) {
        Deque<Long> candidates = new ArrayDeque<>();
        long hinted = hints.leaderOf(group.getId());
        if (hinted != 0 && ClusterMaps.isRunning(map, hinted)) {
            candidates.add(hinted);
        }
        for (long id : ClusterMaps.voters(group)) {
            if (id != hinted && ClusterMaps.isRunning(map, id)) {
                candidates.add(id);
            }
        }
        Set<Long> tried = new HashSet<>();
        String lastError = "no running voter of group " + group.getId() + " to send " + what + " to";
        int budget = group.getReplicasCount() + 3;
        while (!candidates.isEmpty() && budget-- > 0) {
            long id = candidates.poll();
            if (!tried.add(id)) {
                continue;
            }
            Optional<ServerInfo> s = ClusterMaps.server(map, id);
            if (s.isEmpty()) {
                continue;
            }
            AdminResponse r;
            try {
                r = call.apply(s.get());
            } catch (AdminCallException e) {
                lastError = e.getMessage();
                continue;
            }
            KvError err = r.getError();
            if (err.getCode() == ErrorCode.OK) {
                return Optional.empty();
            }
            lastError = what + " on server " + id + ": " + err.getCode() + " " + err.getMessage();
            if (err.getCode() == ErrorCode.NOT_LEADER && err.getLeaderId() != 0 && !tried.contains(err.getLeaderId())) {
                candidates.addFirst(err.getLeaderId());
            } else if (err.getCode() != ErrorCode.NOT_LEADER) {
                // The leader answered with a real refusal (e.g. the learner is still catching up).
                return Optional.of(lastError);
            }
        }
        return Optional.of(lastError);
    }

    private static Optional<String> check(String what, java.util.function.Supplier<AdminResponse> call) {
        try {
            KvError err = call.get().getError();
            return err.getCode() == ErrorCode.OK ? Optional.empty()
                    : Optional.of(what + ": " + err.getCode() + " " + err.getMessage());
        } catch (AdminCallException e) {
            return Optional.of(e.getMessage());
        }
    }
}

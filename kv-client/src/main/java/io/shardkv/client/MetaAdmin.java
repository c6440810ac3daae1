package io.shardkv.client;

import io.shardkv.common.Slots;
import io.shardkv.meta.proto.CancelMoveRequest;
import io.shardkv.meta.proto.CancelMoveResponse;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardChangeType;
import io.shardkv.meta.proto.ClusterShardgroupChangeRequest;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.ClusterStatusRequest;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.GetTaskRequest;
import io.shardkv.meta.proto.GetTaskResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.MigrationStatusRequest;
import io.shardkv.meta.proto.MigrationStatusResponse;
import io.shardkv.meta.proto.MoveSlotsRequest;
import io.shardkv.meta.proto.MoveSlotsResponse;
import io.shardkv.meta.proto.ShardMembersChangeType;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.ShardgroupMembersChangeResponse;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.time.Duration;
import java.util.List;
import io.shardkv.security.ClientSecurity;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Administers the cluster through the meta leader: status, shard groups, their members, slot
 * moves and the tasks that carry changes out. Every call finds the leader among the endpoints and
 * fails with a {@link MetaException} carrying the server's {@link MetaErrorCode} and
 * message ({@code UNAVAILABLE} when no leader answered within the request timeout).
 * Changes answer at once with a task id; {@link #awaitTask} follows the task to its end.
 * Blocking and thread-safe.
 */
public final class MetaAdmin implements AutoCloseable {
    /** How often {@link #awaitTask} asks for the task. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private final MetaCaller meta;
    private final Duration requestTimeout;
    // False when the caller belongs to a KvClient, which closes it.
    private final boolean ownsCaller;

    MetaAdmin(MetaCaller meta, Duration requestTimeout, boolean ownsCaller) {
        this.meta = meta;
        this.requestTimeout = requestTimeout;
        this.ownsCaller = ownsCaller;
    }

    /** @param requestTimeout the time one call may take, finding the leader included */
    public static MetaAdmin connect(List<String> metaEndpoints, Duration requestTimeout, ClientSecurity security) {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, got " + requestTimeout);
        }
        return new MetaAdmin(new MetaCaller(metaEndpoints, security), requestTimeout, true);
    }

    /** @param metaEndpoints {@code "host:port,host:port,..."} */
    public static MetaAdmin connect(String metaEndpoints, Duration requestTimeout, ClientSecurity security) {
        return connect(Endpoints.parse(metaEndpoints), requestTimeout, security);
    }

    public List<String> endpoints() {
        return meta.endpoints();
    }

    /** The map, leader hints, per-server heartbeat ages and group reports, and the meta leader. */
    public ClusterStatusResponse clusterStatus() {
        return meta.call("ClusterStatus", requestTimeout, true,
                stub -> stub.clusterStatus(ClusterStatusRequest.getDefaultInstance()),
                ClusterStatusResponse::getError);
    }

    public ClusterMap getClusterMap() {
        return getClusterMapWithLeaders().getMap();
    }

    /** The map with the meta leader's leader hints. */
    public GetClusterMapResponse getClusterMapWithLeaders() {
        return meta.call("GetClusterMap", requestTimeout, true,
                stub -> stub.getClusterMap(GetClusterMapRequest.getDefaultInstance()),
                GetClusterMapResponse::getError);
    }

    /** Adds a shard group of {@code replicas} voters on servers the meta-server picks. */
    public ClusterShardgroupChangeResponse addGroup(int replicas) {
        if (replicas < 1) {
            throw new MetaException(MetaErrorCode.INVALID_ARGUMENT, "a group needs at least 1 replica, got " + replicas);
        }
        return shardgroupChange(ClusterShardgroupChangeRequest.newBuilder()
                .setType(ClusterShardChangeType.ADD_SHARDGROUP).setReplicas(replicas).build());
    }

    /** Adds a shard group with exactly these servers as voters. */
    public ClusterShardgroupChangeResponse addGroup(List<Long> serverIds) {
        if (serverIds.isEmpty()) {
            throw new MetaException(MetaErrorCode.INVALID_ARGUMENT, "a group needs at least 1 server");
        }
        return shardgroupChange(ClusterShardgroupChangeRequest.newBuilder()
                .setType(ClusterShardChangeType.ADD_SHARDGROUP)
                .setReplicas(serverIds.size()).addAllServerIds(serverIds).build());
    }

    /** Removes a group; FAILED_PRECONDITION while it owns slots. */
    public ClusterShardgroupChangeResponse removeGroup(long groupId) {
        return shardgroupChange(ClusterShardgroupChangeRequest.newBuilder()
                .setType(ClusterShardChangeType.REMOVE_SHARDGROUP).setGroupId(groupId).build());
    }

    public ShardgroupMembersChangeResponse addMember(long groupId, long serverId) {
        return membersChange(ShardMembersChangeType.ADD_SERVER, groupId, serverId);
    }

    public ShardgroupMembersChangeResponse removeMember(long groupId, long serverId) {
        return membersChange(ShardMembersChangeType.REMOVE_SERVER, groupId, serverId);
    }

    /** Asks the meta-server to make {@code serverId}, a voter of the group, its leader. */
    public ShardgroupMembersChangeResponse transferLeader(long groupId, long serverId) {
        return membersChange(ShardMembersChangeType.TRANSFER_LEADERSHIP, groupId, serverId);
    }

    public Task getTask(long taskId) {
        return meta.call("GetTask", requestTimeout, true,
                stub -> stub.getTask(GetTaskRequest.newBuilder().setTaskId(taskId).build()),
                GetTaskResponse::getError).getTask();
    }

    /** Waits for the task to end: returns it when DONE, throws {@link TaskFailedException} when FAILED. */
    public Task awaitTask(long taskId, Duration timeout) {
        return awaitTask(taskId, timeout, task -> { });
    }

    /**
     * Like {@link #awaitTask(long, Duration)}, telling {@code progress} each time the task's
     * step or last error changes. Throws a {@link MetaException} with code TIMEOUT when the
     * task is still pending after {@code timeout}.
     */
    public Task awaitTask(long taskId, Duration timeout, Consumer<Task> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Task seen = null;
        while (true) {
            Task task = getTask(taskId);
            if (seen == null || !Objects.equals(seen.getStep(), task.getStep())
                    || !Objects.equals(seen.getLastError(), task.getLastError())
                    || seen.getState() != task.getState()) {
                progress.accept(task);
            }
            seen = task;
            if (task.getState() == TaskState.DONE) {
                return task;
            }
            if (task.getState() == TaskState.FAILED) {
                throw new TaskFailedException(task);
            }
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                throw new MetaException(MetaErrorCode.TIMEOUT, "task " + taskId + " (" + task.getType()
                        + ") still pending after " + timeout.toMillis() + " ms at step '" + task.getStep() + "'"
                        + (task.getLastError().isEmpty() ? "" : "; last error: " + task.getLastError()));
            }
            try {
                // Polling a task the meta-server's scheduler advances; bounded by the deadline.
                Thread.sleep(Math.min(POLL_INTERVAL.toMillis(), Math.max(1, remainingNanos / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MetaException(MetaErrorCode.TIMEOUT, "interrupted while waiting for task " + taskId, e);
            }
        }
    }

    /**
     * Plans moving {@code slots} to {@code targetGroup} (DESIGN 5): one MOVE_SLOTS task per group
     * the slots come from, whose ids are returned. The move then goes on in the meta-server's
     * scheduler; follow it with {@link #migrationStatus}, stop it with {@link #cancelMove}.
     * Resent when its outcome is unknown: a request for slots already on their way to the same
     * group joins those moves and returns their tasks, so a repeat creates nothing twice.
     *
     * @throws MetaException INVALID_ARGUMENT, before any call, for no slots, a slot outside
     *     0..1023 or a group id below 1; the meta leader's NOT_FOUND (unknown group) or
     *     FAILED_PRECONDITION (e.g. a slot that is already moving)
     */
    public List<Long> moveSlots(List<Integer> slots, long targetGroup) {
        if (slots.isEmpty()) {
            throw new MetaException(MetaErrorCode.INVALID_ARGUMENT, "no slots to move");
        }
        for (int slot : slots) {
            if (slot < 0 || slot >= Slots.COUNT) {
                throw new MetaException(MetaErrorCode.INVALID_ARGUMENT,
                        "slot " + slot + " is outside 0.." + (Slots.COUNT - 1));
            }
        }
        if (targetGroup < 1) {
            throw new MetaException(MetaErrorCode.INVALID_ARGUMENT,
                    "the target group id must be 1 or more, got " + targetGroup);
        }
        MoveSlotsRequest request = MoveSlotsRequest.newBuilder()
                .addAllSlots(slots).setTargetGroupId(targetGroup).build();
        return meta.call("MoveSlots", requestTimeout, true, stub -> stub.moveSlots(request),
                MoveSlotsResponse::getError).getTaskIdsList();
    }

    /**
     * Asks the meta leader to abort a MOVE_SLOTS task that has not committed: the task undoes
     * what it did and ends FAILED, the slots staying with their source group.
     *
     * @throws MetaException NOT_FOUND for an unknown task; FAILED_PRECONDITION when the move has
     *     committed (it then completes by itself) or the task has ended
     */
    public void cancelMove(long taskId) {
        CancelMoveRequest request = CancelMoveRequest.newBuilder().setTaskId(taskId).build();
        meta.call("CancelMove", requestTimeout, false, stub -> stub.cancelMove(request), CancelMoveResponse::getError);
    }

    /**
     * The MOVE_SLOTS task {@code taskId} with its live progress, or, for 0, every one the map
     * holds (pending and recently finished).
     */
    public List<MigrationInfo> migrationStatus(long taskId) {
        MigrationStatusRequest request = MigrationStatusRequest.newBuilder().setTaskId(taskId).build();
        return meta.call("MigrationStatus", requestTimeout, true, stub -> stub.migrationStatus(request),
                MigrationStatusResponse::getError).getMigrationsList();
    }

    private ClusterShardgroupChangeResponse shardgroupChange(ClusterShardgroupChangeRequest request) {
        // Not idempotent: a change that timed out may have happened, so it is not resent.
        return meta.call(request.getType().toString(), requestTimeout, false,
                stub -> stub.processClusterShardgroupChange(request),
                ClusterShardgroupChangeResponse::getError);
    }

    private ShardgroupMembersChangeResponse membersChange(ShardMembersChangeType type, long groupId, long serverId) {
        ShardgroupMembersChangeRequest request = ShardgroupMembersChangeRequest.newBuilder()
                .setType(type).setGroupId(groupId).setServerId(serverId).build();
        return meta.call(type.toString(), requestTimeout, false,
                stub -> stub.processShardgroupMembersChange(request),
                ShardgroupMembersChangeResponse::getError);
    }

    /** Closes the connections, unless this admin came from {@link KvClient#admin()} (the client owns them). */
    @Override
    public void close() {
        if (ownsCaller) {
            meta.close();
        }
    }
}

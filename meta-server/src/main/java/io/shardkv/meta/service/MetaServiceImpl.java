package io.shardkv.meta.service;

import io.shardkv.security.Caller;
import io.shardkv.security.Identity;
import io.shardkv.security.SecurityMetrics;
import io.grpc.stub.StreamObserver;
import io.shardkv.common.HostPorts;
import io.shardkv.meta.group.MetaGroup;
import io.shardkv.meta.liveness.HeartbeatTracker;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.map.SlotMoves;
import io.shardkv.meta.proto.CancelMoveRequest;
import io.shardkv.meta.proto.CancelMoveResponse;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.MigrationStatusRequest;
import io.shardkv.meta.proto.MigrationStatusResponse;
import io.shardkv.meta.proto.MoveSlotsRequest;
import io.shardkv.meta.proto.MoveSlotsResponse;
import io.shardkv.meta.scheduler.MigrationBoard;
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
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.HeartbeatResponse;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.ShardMembersChangeType;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.ShardgroupMembersChangeResponse;
import io.shardkv.meta.proto.Task;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The MetaService gRPC endpoint. Only the meta leader answers; other replicas say NOT_LEADER
 * with the leader's id when known. Writes go through the meta log and are answered after they
 * apply (or TIMEOUT after {@code adminTimeoutMillis}); reads confirm leadership with a
 * ReadIndex first. No handler blocks a gRPC thread: every answer is sent from a future.
 */
public final class MetaServiceImpl extends MetaServiceGrpc.MetaServiceImplBase {
    /** The longest a watch may wait for a newer map. */
    public static final long MAX_WAIT_MILLIS = 30_000;
    /** Bounds the replicas a new group may ask for. */
    public static final int MAX_REPLICAS = 9;

    private final MetaGroup group;
    private final HeartbeatTracker heartbeats;
    private final MapWatchers watchers;
    private final MetaMetrics metrics;
    private final int defaultReplicas;
    private final long adminTimeoutMillis;
    private final MigrationBoard board;
    private final SecurityMetrics security;

    public MetaServiceImpl(MetaGroup group, HeartbeatTracker heartbeats, MapWatchers watchers, MetaMetrics metrics,
                           int defaultReplicas, long adminTimeoutMillis) {
        this(group, heartbeats, watchers, metrics, defaultReplicas, adminTimeoutMillis, MigrationBoard.systemClock());
    }

    /** @param board the live progress of slot moves, as this replica's scheduler sees it */
    public MetaServiceImpl(MetaGroup group, HeartbeatTracker heartbeats, MapWatchers watchers, MetaMetrics metrics,
                           int defaultReplicas, long adminTimeoutMillis, MigrationBoard board) {
        this(group, heartbeats, watchers, metrics, defaultReplicas, adminTimeoutMillis, board,
                SecurityMetrics.unexported());
    }

    /** @param security counts the heartbeats refused for speaking for another server or moving a running one */
    public MetaServiceImpl(MetaGroup group, HeartbeatTracker heartbeats, MapWatchers watchers, MetaMetrics metrics,
                           int defaultReplicas, long adminTimeoutMillis, MigrationBoard board,
                           SecurityMetrics security) {
        this.security = security;
        this.group = group;
        this.heartbeats = heartbeats;
        this.watchers = watchers;
        this.metrics = metrics;
        this.defaultReplicas = defaultReplicas;
        this.adminTimeoutMillis = adminTimeoutMillis;
        this.board = board;
    }

    private static boolean movesAddress(ServerInfo known, HeartbeatRequest request) {
        return !known.getAddress().equals(request.getAddress()) || !known.getRaftAddress().equals(request.getRaftAddress())
                || !known.getClientAddress().equals(request.getClientAddress());
    }

    private static MetaError error(MetaErrorCode code, String message) {
        return MetaError.newBuilder().setCode(code).setMessage(message).build();
    }

    private static boolean isOk(MetaError e) {
        return e.getCode() == MetaErrorCode.OK;
    }

    /** Leader check plus ReadIndex: completes with OK when this replica may answer from its map. */
    private CompletableFuture<MetaError> readableLeader() {
        if (!group.isLeader()) {
            return CompletableFuture.completedFuture(group.notLeader());
        }
        return group.confirmReadable(adminTimeoutMillis);
    }

    private <T> void answer(StreamObserver<T> out, String rpc, long start, MetaError error, T response) {
        metrics.record(rpc, error, start);
        out.onNext(response);
        out.onCompleted();
    }

    @Override
    public void getClusterMap(GetClusterMapRequest request, StreamObserver<GetClusterMapResponse> out) {
        long start = System.nanoTime();
        readableLeader().thenCompose(err -> {
            if (!isOk(err)) {
                return CompletableFuture.completedFuture(GetClusterMapResponse.newBuilder().setError(err).build());
            }
            ClusterMap now = group.currentMap();
            long waitMillis = Math.min(request.getWaitMillis(), MAX_WAIT_MILLIS);
            CompletableFuture<ClusterMap> map = now.getConfigVersion() > request.getKnownVersion() || waitMillis == 0
                    ? CompletableFuture.completedFuture(now)
                    : watchers.awaitNewerThan(request.getKnownVersion(), waitMillis);
            return map.thenApply(m -> group.isLeader()
                    ? GetClusterMapResponse.newBuilder().setError(error(MetaErrorCode.OK, "")).setMap(m)
                    .addAllLeaders(heartbeats.leaders(m)).build()
                    : GetClusterMapResponse.newBuilder().setError(group.notLeader()).build());
        }).whenComplete((r, t) -> {
            GetClusterMapResponse resp = t == null ? r : GetClusterMapResponse.newBuilder()
                    .setError(error(MetaErrorCode.UNAVAILABLE, "GetClusterMap failed: " + t)).build();
            answer(out, "get_cluster_map", start, resp.getError(), resp);
        });
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
        long start = System.nanoTime();
        if (request.getServerId() <= 0 || request.getAddress().isEmpty() || request.getRaftAddress().isEmpty()) {
            MetaError e = error(MetaErrorCode.INVALID_ARGUMENT, "a heartbeat needs server_id > 0, address and"
                    + " raft_address; got server_id=" + request.getServerId() + " address='" + request.getAddress()
                    + "' raft_address='" + request.getRaftAddress() + "'");
            answer(out, "heartbeat", start, e, HeartbeatResponse.newBuilder().setError(e).build());
            return;
        }
        for (String address : new String[] {request.getAddress(), request.getRaftAddress(), request.getClientAddress()}) {
            if (address.isEmpty()) {
                continue;
            }
            try {
                HostPorts.parse(address, false);
            } catch (IllegalArgumentException bad) {
                MetaError e = error(MetaErrorCode.INVALID_ARGUMENT, "heartbeat of server " + request.getServerId()
                        + ": " + bad.getMessage());
                answer(out, "heartbeat", start, e, HeartbeatResponse.newBuilder().setError(e).build());
                return;
            }
        }
        Optional<Identity> caller = Caller.current();
        if (caller.isPresent() && caller.get().serverId() != request.getServerId()) {
            security.denied(SecurityMetrics.Denial.IDENTITY);
            MetaError e = error(MetaErrorCode.PERMISSION_DENIED, "a heartbeat speaks only for the server its"
                    + " certificate names: the caller is " + caller.get() + ", the heartbeat claims server "
                    + request.getServerId());
            answer(out, "heartbeat", start, e, HeartbeatResponse.newBuilder().setError(e).build());
            return;
        }
        if (!group.isLeader()) {
            MetaError e = group.notLeader();
            answer(out, "heartbeat", start, e, HeartbeatResponse.newBuilder().setError(e).build());
            return;
        }
        ClusterMap map = group.currentMap();
        Optional<ServerInfo> known = ClusterMaps.server(map, request.getServerId());
        if (known.isPresent() && known.get().getState() == ServerState.SERVER_RUNNING && movesAddress(known.get(), request)) {
            // Clients and peers follow a server's address in the map: moving a running server
            // would let a forged or confused heartbeat redirect them. A server that really moved
            // is marked down when its old self stops heartbeating, and then registers anew. The
            // heartbeat is not recorded, so it does not keep the old entry alive.
            security.denied(SecurityMetrics.Denial.ADDRESS);
            MetaError e = error(MetaErrorCode.PERMISSION_DENIED, "server " + request.getServerId() + " is running at "
                    + known.get().getAddress() + " (raft " + known.get().getRaftAddress() + "); a heartbeat from "
                    + request.getAddress() + " (raft " + request.getRaftAddress() + ") cannot move it. A server that"
                    + " moved is accepted at its new address once it has been marked down, after the server-down"
                    + " time without heartbeats from its old address");
            answer(out, "heartbeat", start, e, HeartbeatResponse.newBuilder().setError(e).build());
            return;
        }
        heartbeats.record(request);
        MetaCommand change = null;
        if (known.isEmpty() || !known.get().getAddress().equals(request.getAddress())
                || !known.get().getRaftAddress().equals(request.getRaftAddress())
                || !known.get().getClientAddress().equals(request.getClientAddress())) {
            change = MetaCommand.registerServer(request.getServerId(), request.getAddress(), request.getRaftAddress(),
                    request.getClientAddress());
        } else if (known.get().getState() == ServerState.SERVER_DOWN) {
            change = MetaCommand.setServerState(request.getServerId(), ServerState.SERVER_RUNNING);
        }
        if (change == null) {
            MetaError ok = error(MetaErrorCode.OK, "");
            answer(out, "heartbeat", start, ok, HeartbeatResponse.newBuilder().setError(ok)
                    .setConfigVersion(map.getConfigVersion()).build());
            return;
        }
        group.propose(change, adminTimeoutMillis).whenComplete((r, t) -> {
            MetaError e = t == null ? r.getError() : error(MetaErrorCode.UNAVAILABLE, "heartbeat failed: " + t);
            answer(out, "heartbeat", start, e, HeartbeatResponse.newBuilder().setError(e)
                    .setConfigVersion(t == null ? r.getConfigVersion() : 0).build());
        });
    }

    @Override
    public void processClusterShardgroupChange(ClusterShardgroupChangeRequest request,
                                               StreamObserver<ClusterShardgroupChangeResponse> out) {
        long start = System.nanoTime();
        MetaError invalid;
        if (!group.isLeader()) {
            invalid = group.notLeader();
        } else if (request.getType() == ClusterShardChangeType.ADD_SHARDGROUP) {
            invalid = checkAddGroup(request);
            if (invalid == null) {
                List<Long> servers = request.getServerIdsCount() > 0 ? request.getServerIdsList()
                        : ClusterMaps.leastLoadedRunning(group.currentMap()).subList(0, (int) replicasWanted(request));
                finishGroupChange(group.propose(MetaCommand.addGroup(servers, request.getConfigVersion()),
                        adminTimeoutMillis), out, start);
                return;
            }
        } else if (request.getType() == ClusterShardChangeType.REMOVE_SHARDGROUP) {
            if (request.getGroupId() == 0) {
                invalid = error(MetaErrorCode.INVALID_ARGUMENT, "REMOVE_SHARDGROUP needs a group_id");
            } else {
                finishGroupChange(group.propose(MetaCommand.removeGroup(request.getGroupId(),
                        request.getConfigVersion()), adminTimeoutMillis), out, start);
                return;
            }
        } else {
            invalid = error(MetaErrorCode.INVALID_ARGUMENT, "unknown change type " + request.getTypeValue());
        }
        answer(out, "cluster_shardgroup_change", start, invalid,
                ClusterShardgroupChangeResponse.newBuilder().setError(invalid)
                        .setConfigVersion(group.currentMap().getConfigVersion()).build());
    }

    /** The replicas asked for; replicas is a uint32, so values from 2^31 on read as negative ints. */
    private long replicasWanted(ClusterShardgroupChangeRequest request) {
        return request.getReplicas() == 0 ? defaultReplicas : Integer.toUnsignedLong(request.getReplicas());
    }

    /** Why an ADD_SHARDGROUP cannot be placed, or null. Explicit servers are checked when the command applies. */
    private MetaError checkAddGroup(ClusterShardgroupChangeRequest request) {
        long replicas = request.getServerIdsCount() > 0 ? request.getServerIdsCount() : replicasWanted(request);
        if (replicas > MAX_REPLICAS) {
            return error(MetaErrorCode.INVALID_ARGUMENT, "a group has at most " + MAX_REPLICAS + " replicas, asked for "
                    + replicas);
        }
        int running = ClusterMaps.leastLoadedRunning(group.currentMap()).size();
        if (request.getServerIdsCount() == 0 && running < replicas) {
            return error(MetaErrorCode.FAILED_PRECONDITION, "a group of " + replicas + " replicas needs " + replicas
                    + " running servers, but only " + running + " are running");
        }
        return null;
    }

    private void finishGroupChange(CompletableFuture<ClusterShardgroupChangeResponse> result,
                                   StreamObserver<ClusterShardgroupChangeResponse> out, long start) {
        result.whenComplete((r, t) -> {
            ClusterShardgroupChangeResponse resp = t == null ? r : ClusterShardgroupChangeResponse.newBuilder()
                    .setError(error(MetaErrorCode.UNAVAILABLE, "the change failed: " + t)).build();
            answer(out, "cluster_shardgroup_change", start, resp.getError(), resp);
        });
    }

    @Override
    public void processShardgroupMembersChange(ShardgroupMembersChangeRequest request,
                                               StreamObserver<ShardgroupMembersChangeResponse> out) {
        long start = System.nanoTime();
        MetaError invalid = null;
        MetaCommand command = null;
        if (!group.isLeader()) {
            invalid = group.notLeader();
        } else if (request.getGroupId() == 0 || request.getServerId() == 0) {
            invalid = error(MetaErrorCode.INVALID_ARGUMENT, "a members change needs group_id and server_id; got"
                    + " group_id=" + request.getGroupId() + " server_id=" + request.getServerId());
        } else if (request.getType() == ShardMembersChangeType.ADD_SERVER) {
            command = MetaCommand.addMember(request.getGroupId(), request.getServerId(), request.getConfigVersion());
        } else if (request.getType() == ShardMembersChangeType.REMOVE_SERVER) {
            command = MetaCommand.removeMember(request.getGroupId(), request.getServerId(),
                    request.getConfigVersion());
        } else if (request.getType() == ShardMembersChangeType.TRANSFER_LEADERSHIP) {
            command = MetaCommand.transferLeader(request.getGroupId(), request.getServerId(),
                    request.getConfigVersion());
        } else {
            invalid = error(MetaErrorCode.INVALID_ARGUMENT, "unknown members change type " + request.getTypeValue());
        }
        if (command == null) {
            answer(out, "shardgroup_members_change", start, invalid, ShardgroupMembersChangeResponse.newBuilder()
                    .setError(invalid).setConfigVersion(group.currentMap().getConfigVersion()).build());
            return;
        }
        group.propose(command, adminTimeoutMillis).whenComplete((r, t) -> {
            ShardgroupMembersChangeResponse.Builder resp = ShardgroupMembersChangeResponse.newBuilder();
            if (t != null) {
                resp.setError(error(MetaErrorCode.UNAVAILABLE, "the change failed: " + t));
            } else {
                resp.setError(r.getError()).setConfigVersion(r.getConfigVersion()).setTaskId(r.getTaskId());
                if (r.hasGroup()) {
                    resp.setGroup(r.getGroup());
                }
            }
            answer(out, "shardgroup_members_change", start, resp.getError(), resp.build());
        });
    }

    @Override
    public void getTask(GetTaskRequest request, StreamObserver<GetTaskResponse> out) {
        long start = System.nanoTime();
        readableLeader().whenComplete((err, t) -> {
            GetTaskResponse.Builder resp = GetTaskResponse.newBuilder();
            if (t != null) {
                resp.setError(error(MetaErrorCode.UNAVAILABLE, "GetTask failed: " + t));
            } else if (!isOk(err)) {
                resp.setError(err);
            } else {
                Optional<Task> task = ClusterMaps.task(group.currentMap(), request.getTaskId());
                if (task.isPresent()) {
                    resp.setError(error(MetaErrorCode.OK, "")).setTask(task.get());
                } else {
                    resp.setError(error(MetaErrorCode.NOT_FOUND, "task " + request.getTaskId() + " does not exist"
                            + " (the map keeps every pending task and the last "
                            + MapTransitions.FINISHED_TASKS_KEPT + " finished ones)"));
                }
            }
            answer(out, "get_task", start, resp.getError(), resp.build());
        });
    }

    @Override
    public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
        long start = System.nanoTime();
        readableLeader().whenComplete((err, t) -> {
            ClusterStatusResponse.Builder resp = ClusterStatusResponse.newBuilder().setMetaLeaderId(group.leaderId());
            if (t != null) {
                resp.setError(error(MetaErrorCode.UNAVAILABLE, "ClusterStatus failed: " + t));
            } else if (!isOk(err)) {
                resp.setError(err);
            } else {
                ClusterMap map = group.currentMap();
                resp.setError(error(MetaErrorCode.OK, "")).setMap(map).addAllLeaders(heartbeats.leaders(map));
                for (ServerInfo s : map.getServersList()) {
                    resp.addServers(ServerStatus.newBuilder().setServerId(s.getId())
                            .setLastHeartbeatAgeMillis(heartbeats.heartbeatAgeMillis(s.getId()))
                            .addAllGroups(heartbeats.reports(s.getId())));
                }
            }
            answer(out, "cluster_status", start, resp.getError(), resp.build());
        });
    }

    @Override
    public void moveSlots(MoveSlotsRequest request, StreamObserver<MoveSlotsResponse> out) {
        long start = System.nanoTime();
        MetaError invalid = null;
        if (!group.isLeader()) {
            invalid = group.notLeader();
        } else if (request.getTargetGroupId() == 0 || request.getSlotsCount() == 0) {
            invalid = error(MetaErrorCode.INVALID_ARGUMENT, "a move needs slots and a target_group_id");
        }
        if (invalid != null) {
            answer(out, "move_slots", start, invalid, MoveSlotsResponse.newBuilder().setError(invalid)
                    .setConfigVersion(group.currentMap().getConfigVersion()).build());
            return;
        }
        group.propose(MetaCommand.moveSlots(request.getSlotsList(), request.getTargetGroupId(),
                request.getConfigVersion()), adminTimeoutMillis).whenComplete((r, t) -> {
            MoveSlotsResponse.Builder resp = MoveSlotsResponse.newBuilder();
            if (t != null) {
                resp.setError(error(MetaErrorCode.UNAVAILABLE, "the move failed: " + t));
            } else {
                resp.setError(r.getError()).setConfigVersion(r.getConfigVersion());
                if (isOk(r.getError()) && r.getTaskId() != 0) {
                    // The command made one task per source group, all at the version it produced.
                    for (Task task : SlotMoves.moves(group.currentMap())) {
                        if (task.getCreatedVersion() == r.getConfigVersion() && task.getId() >= r.getTaskId()) {
                            resp.addTaskIds(task.getId());
                        }
                    }
                } else if (isOk(r.getError())) {
                    // Nothing new: the slots are there, or already on their way (a retried request).
                    resp.addAllTaskIds(SlotMoves.pendingMovesOf(group.currentMap(), request.getSlotsList(),
                            request.getTargetGroupId()));
                }
            }
            answer(out, "move_slots", start, resp.getError(), resp.build());
        });
    }

    @Override
    public void cancelMove(CancelMoveRequest request, StreamObserver<CancelMoveResponse> out) {
        long start = System.nanoTime();
        if (!group.isLeader() || request.getTaskId() == 0) {
            MetaError e = !group.isLeader() ? group.notLeader()
                    : error(MetaErrorCode.INVALID_ARGUMENT, "a cancel needs the move's task_id");
            answer(out, "cancel_move", start, e, CancelMoveResponse.newBuilder().setError(e).build());
            return;
        }
        group.propose(MetaCommand.moveAbort(request.getTaskId(), "cancelled by an operator"), adminTimeoutMillis)
                .whenComplete((r, t) -> {
                    MetaError e = t == null ? r.getError() : error(MetaErrorCode.UNAVAILABLE, "the cancel failed: " + t);
                    answer(out, "cancel_move", start, e, CancelMoveResponse.newBuilder().setError(e)
                            .setConfigVersion(t == null ? r.getConfigVersion() : 0).build());
                });
    }

    @Override
    public void migrationStatus(MigrationStatusRequest request, StreamObserver<MigrationStatusResponse> out) {
        long start = System.nanoTime();
        readableLeader().whenComplete((err, t) -> {
            MigrationStatusResponse.Builder resp = MigrationStatusResponse.newBuilder();
            if (t != null) {
                resp.setError(error(MetaErrorCode.UNAVAILABLE, "MigrationStatus failed: " + t));
            } else if (!isOk(err)) {
                resp.setError(err);
            } else {
                ClusterMap map = group.currentMap();
                resp.setConfigVersion(map.getConfigVersion());
                List<Task> moves = SlotMoves.moves(map);
                board.retainOnly(moves.stream().map(Task::getId).collect(java.util.stream.Collectors.toSet()));
                for (Task task : moves) {
                    if (request.getTaskId() == 0 || task.getId() == request.getTaskId()) {
                        MigrationInfo.Builder info = MigrationInfo.newBuilder().setTask(task);
                        board.progress(task.getId()).ifPresent(info::setProgress);
                        resp.addMigrations(info);
                    }
                }
                if (request.getTaskId() != 0 && resp.getMigrationsCount() == 0) {
                    resp.setError(error(MetaErrorCode.NOT_FOUND, "no slot move " + request.getTaskId()
                            + " in the map (it keeps every pending task and the last "
                            + MapTransitions.FINISHED_TASKS_KEPT + " finished ones)"));
                } else {
                    resp.setError(error(MetaErrorCode.OK, ""));
                }
            }
            answer(out, "migration_status", start, resp.getError(), resp.build());
        });
    }
}

package io.shardkv.client;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.shardkv.common.Slots;
import io.shardkv.meta.proto.CancelMoveRequest;
import io.shardkv.meta.proto.CancelMoveResponse;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusRequest;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.GetTaskRequest;
import io.shardkv.meta.proto.GetTaskResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.MigrationProgress;
import io.shardkv.meta.proto.MigrationStatusRequest;
import io.shardkv.meta.proto.MigrationStatusResponse;
import io.shardkv.meta.proto.MoveSlotsRequest;
import io.shardkv.meta.proto.MoveSlotsResponse;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake MetaService on real gRPC for slot moves (MoveSlots, CancelMove, MigrationStatus) and the
 * reads that show them (GetClusterMap, ClusterStatus, GetTask): the client and kvctl tests need
 * the meta leader's answers, not its scheduler. Several endpoints share one state; the one chosen
 * with {@link #setLeader} serves, the others answer NOT_LEADER naming it.
 *
 * <p>Groups 1 and 2 own slots 0-511 and 512-1023; groups 3, {@link #FAILING_GROUP} and
 * {@link #STUCK_GROUP} own none. A MOVE_SLOTS task goes one step forward each time MigrationStatus
 * reads it (planned, prepared, begun, copied, frozen, ready, committed, activated, then DONE), with
 * progress and the map's slot states to match: MIGRATING towards the target until the commit, then
 * owned by the target. A move to FAILING_GROUP is aborted after "copied"; one to STUCK_GROUP stays
 * at "begun" with a last error. An aborting task (cancelled or failed) ends FAILED at its next read, its slots back
 * with their source.
 */
public final class TestMigrationMeta implements AutoCloseable {
    public static final long FAILING_GROUP = 4;
    public static final long STUCK_GROUP = 5;
    /**
     * The first MoveSlots to this group answers UNAVAILABLE, as a meta leader whose answer was lost
     * would; a repeat joins the move it made, as the real meta-server does, answering its task.
     */
    public static final long UNKNOWN_OUTCOME_GROUP = 98;
    /** The task the first MoveSlots to {@link #UNKNOWN_OUTCOME_GROUP} made. */
    public static final long UNKNOWN_OUTCOME_TASK = 9_000;
    public static final String FAILURE = "import failed on group 4: disk full";
    public static final String STUCK_ERROR = "group 5 has no leader";
    /** What one slot holds in this fake, for progress figures. */
    public static final long KEYS_PER_SLOT = 10;
    public static final long BYTES_PER_SLOT = 1000;

    private static final List<String> STEPS =
            List.of("", "prepared", "begun", "copied", "frozen", "ready", "committed", "activated");
    /** The target's importer phase while the task is at the step of the same index. */
    private static final List<String> PHASES =
            List.of("", "preparing", "copying", "catching-up", "sessions", "ready", "ready", "active");
    private static final int BEGUN = STEPS.indexOf("begun");
    private static final int COPIED = STEPS.indexOf("copied");
    private static final int COMMITTED = STEPS.indexOf("committed");
    private static final long GROUP_COUNT = 5;

    public final AtomicInteger unknownOutcomeCalls = new AtomicInteger();

    private final List<Server> servers = new ArrayList<>();
    private volatile int leaderIndex;

    // All guarded by this.
    private long version = 1;
    private long nextTaskId = 1;
    private final long[] owner = new long[Slots.COUNT];
    private final long[] movingTo = new long[Slots.COUNT];
    private final long[] epoch = new long[Slots.COUNT];
    private final Map<Long, Task> tasks = new TreeMap<>();
    private final Map<Long, Integer> reads = new TreeMap<>();

    private TestMigrationMeta() {
        for (int slot = 0; slot < Slots.COUNT; slot++) {
            owner[slot] = slot < Slots.COUNT / 2 ? 1 : 2;
            epoch[slot] = 1;
        }
    }

    /** {@code endpointCount} meta endpoints on 127.0.0.1; the first leads. */
    public static TestMigrationMeta start(int endpointCount) throws IOException {
        TestMigrationMeta meta = new TestMigrationMeta();
        for (int i = 0; i < endpointCount; i++) {
            meta.servers.add(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(meta.new Service(i)).build().start());
        }
        return meta;
    }

    public String endpoints() {
        List<String> endpoints = new ArrayList<>();
        for (Server server : servers) {
            endpoints.add("127.0.0.1:" + server.getPort());
        }
        return String.join(",", endpoints);
    }

    public void setLeader(int index) {
        leaderIndex = index;
    }

    public synchronized Task task(long id) {
        return tasks.get(id);
    }

    public synchronized long ownerOf(int slot) {
        return owner[slot];
    }

    @Override
    public void close() throws InterruptedException {
        for (Server server : servers) {
            server.shutdownNow();
        }
        for (Server server : servers) {
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static MetaError error(MetaErrorCode code, String message) {
        return MetaError.newBuilder().setCode(code).setMessage(message).build();
    }

    private synchronized MoveSlotsResponse moveSlots(MoveSlotsRequest request) {
        MoveSlotsResponse.Builder response = MoveSlotsResponse.newBuilder();
        long target = request.getTargetGroupId();
        if (target == UNKNOWN_OUTCOME_GROUP) {
            if (unknownOutcomeCalls.incrementAndGet() == 1) {
                return response.setError(error(MetaErrorCode.UNAVAILABLE, "the change failed: meta group closed"))
                        .build();
            }
            return response.setError(error(MetaErrorCode.OK, "")).addTaskIds(UNKNOWN_OUTCOME_TASK).build();
        }
        if (target < 1 || target > GROUP_COUNT) {
            return response.setError(error(MetaErrorCode.NOT_FOUND, "no shard group " + target)).build();
        }
        if (request.getSlotsCount() == 0) {
            return response.setError(error(MetaErrorCode.INVALID_ARGUMENT, "no slots to move")).build();
        }
        if (request.getConfigVersion() != 0 && request.getConfigVersion() != version) {
            return response.setError(error(MetaErrorCode.FAILED_PRECONDITION, "the map is at version " + version
                    + ", not " + request.getConfigVersion())).build();
        }
        Map<Long, List<Integer>> bySource = new TreeMap<>();
        for (int slot : request.getSlotsList()) {
            if (slot < 0 || slot >= Slots.COUNT) {
                return response.setError(error(MetaErrorCode.INVALID_ARGUMENT, "no slot " + slot)).build();
            }
            if (movingTo[slot] != 0) {
                return response.setError(error(MetaErrorCode.FAILED_PRECONDITION,
                        "slot " + slot + " is already moving to group " + movingTo[slot])).build();
            }
            if (owner[slot] == target) {
                return response.setError(error(MetaErrorCode.FAILED_PRECONDITION,
                        "slot " + slot + " already belongs to group " + target)).build();
            }
            bySource.computeIfAbsent(owner[slot], g -> new ArrayList<>()).add(slot);
        }
        version++;
        for (Map.Entry<Long, List<Integer>> source : bySource.entrySet()) {
            Task task = Task.newBuilder().setId(nextTaskId++).setType(TaskType.MOVE_SLOTS)
                    .setGroupId(source.getKey()).setTargetGroupId(target).addAllSlots(source.getValue())
                    .setState(TaskState.PENDING).setStep("").setCreatedVersion(version).build();
            tasks.put(task.getId(), task);
            for (int slot : source.getValue()) {
                movingTo[slot] = target;
            }
            response.addTaskIds(task.getId());
        }
        return response.setConfigVersion(version).build();
    }

    private synchronized CancelMoveResponse cancelMove(CancelMoveRequest request) {
        CancelMoveResponse.Builder response = CancelMoveResponse.newBuilder().setConfigVersion(version);
        Task task = tasks.get(request.getTaskId());
        if (task == null) {
            return response.setError(error(MetaErrorCode.NOT_FOUND, "no task " + request.getTaskId())).build();
        }
        if (task.getState() != TaskState.PENDING) {
            return response.setError(error(MetaErrorCode.FAILED_PRECONDITION,
                    "task " + task.getId() + " has already ended (" + task.getState() + ")")).build();
        }
        if (STEPS.indexOf(task.getStep()) >= COMMITTED) {
            return response.setError(error(MetaErrorCode.FAILED_PRECONDITION, "task " + task.getId()
                    + " has committed; its slots belong to group " + task.getTargetGroupId())).build();
        }
        if (task.getAbortReason().isEmpty()) {
            tasks.put(task.getId(), task.toBuilder().setAbortReason("cancelled by operator").build());
        }
        return response.build();
    }

    private synchronized MigrationStatusResponse migrationStatus(MigrationStatusRequest request) {
        MigrationStatusResponse.Builder response = MigrationStatusResponse.newBuilder();
        if (request.getTaskId() != 0 && !tasks.containsKey(request.getTaskId())) {
            return response.setError(error(MetaErrorCode.NOT_FOUND, "no slot move task " + request.getTaskId()))
                    .build();
        }
        for (Task task : List.copyOf(tasks.values())) {
            if (request.getTaskId() == 0 || request.getTaskId() == task.getId()) {
                Task now = advance(task);
                response.addMigrations(MigrationInfo.newBuilder().setTask(now).setProgress(progress(now)));
            }
        }
        return response.setConfigVersion(version).build();
    }

    /** One step forward, as the meta-server's scheduler would go between two reads. */
    private Task advance(Task task) {
        if (task.getState() != TaskState.PENDING) {
            return task;
        }
        reads.merge(task.getId(), 1, Integer::sum);
        Task.Builder next = task.toBuilder();
        int step = STEPS.indexOf(task.getStep());
        if (!task.getAbortReason().isEmpty()) {
            next.setState(TaskState.FAILED);
            if (task.getLastError().isEmpty()) {
                next.setLastError("aborted: " + task.getAbortReason());
            }
            for (int slot : task.getSlotsList()) {
                movingTo[slot] = 0;
            }
            version++;
        } else if (task.getTargetGroupId() == FAILING_GROUP && step == COPIED) {
            next.setAbortReason(FAILURE).setLastError(FAILURE);
        } else if (task.getTargetGroupId() == STUCK_GROUP && step == BEGUN) {
            next.setLastError(STUCK_ERROR);
        } else if (step == STEPS.size() - 1) {
            next.setState(TaskState.DONE);
        } else {
            next.setStep(STEPS.get(step + 1));
            if (step + 1 == COMMITTED) {
                for (int slot : task.getSlotsList()) {
                    owner[slot] = task.getTargetGroupId();
                    movingTo[slot] = 0;
                    epoch[slot]++;
                }
                version++;
            }
        }
        Task now = next.build();
        tasks.put(now.getId(), now);
        return now;
    }

    private MigrationProgress progress(Task task) {
        int step = STEPS.indexOf(task.getStep());
        long slots = task.getSlotsCount();
        MigrationProgress.Builder progress = MigrationProgress.newBuilder().setPhase(PHASES.get(step))
                .setElapsedMillis(250L * reads.getOrDefault(task.getId(), 0))
                .setBytesEstimate(slots * BYTES_PER_SLOT);
        if (step == BEGUN) {
            // Half copied, at a rate that leaves two seconds.
            progress.setKeysCopied(slots * KEYS_PER_SLOT / 2).setBytesCopied(slots * BYTES_PER_SLOT / 2)
                    .setBytesPerSecond(slots * BYTES_PER_SLOT / 4.0).setJournalLag(40);
        } else if (step > BEGUN) {
            progress.setKeysCopied(slots * KEYS_PER_SLOT).setBytesCopied(slots * BYTES_PER_SLOT)
                    .setBytesPerSecond(slots * BYTES_PER_SLOT / 4.0).setJournalLag(step == COPIED ? 5 : 0);
        }
        return progress.build();
    }

    private synchronized ClusterMap map() {
        ClusterMap.Builder map = ClusterMap.newBuilder().setConfigVersion(version)
                .setNextGroupId(GROUP_COUNT + 1).setNextTaskId(nextTaskId);
        for (long id = 1; id <= 3; id++) {
            map.addServers(ServerInfo.newBuilder().setId(id).setAddress("127.0.0.1:" + (7000 + id))
                    .setRaftAddress("127.0.0.1:" + (8000 + id)).setState(ServerState.SERVER_RUNNING));
        }
        for (long group = 1; group <= GROUP_COUNT; group++) {
            ShardGroupInfo.Builder info = ShardGroupInfo.newBuilder().setId(group);
            for (long server = 1; server <= 3; server++) {
                info.addReplicas(Replica.newBuilder().setServerId(server));
            }
            map.addGroups(info);
        }
        for (int slot = 0; slot < Slots.COUNT; slot++) {
            map.addSlots(SlotInfo.newBuilder().setGroupId(owner[slot]).setEpoch(epoch[slot])
                    .setState(movingTo[slot] == 0 ? SlotState.RUNNING : SlotState.MIGRATING)
                    .setMigrationGroupId(movingTo[slot]));
        }
        return map.addAllTasks(tasks.values()).build();
    }

    private List<GroupLeader> leaders() {
        List<GroupLeader> leaders = new ArrayList<>();
        for (long group = 1; group <= GROUP_COUNT; group++) {
            leaders.add(GroupLeader.newBuilder().setGroupId(group).setLeaderServerId(1).setTerm(2).build());
        }
        return leaders;
    }

    /** One endpoint: the shared state when it leads, NOT_LEADER naming the leader otherwise. */
    private final class Service extends MetaServiceGrpc.MetaServiceImplBase {
        private final int index;

        Service(int index) {
            this.index = index;
        }

        private MetaError notLeader() {
            return leaderIndex == index ? MetaError.getDefaultInstance()
                    : MetaError.newBuilder().setCode(MetaErrorCode.NOT_LEADER).setMessage("not the meta leader")
                            .setLeaderId(leaderIndex + 1).build();
        }

        private <T> void answer(StreamObserver<T> observer, T response) {
            observer.onNext(response);
            observer.onCompleted();
        }

        @Override
        public void moveSlots(MoveSlotsRequest request, StreamObserver<MoveSlotsResponse> observer) {
            MetaError notLeader = notLeader();
            answer(observer, notLeader.getCode() == MetaErrorCode.OK ? TestMigrationMeta.this.moveSlots(request)
                    : MoveSlotsResponse.newBuilder().setError(notLeader).build());
        }

        @Override
        public void cancelMove(CancelMoveRequest request, StreamObserver<CancelMoveResponse> observer) {
            MetaError notLeader = notLeader();
            answer(observer, notLeader.getCode() == MetaErrorCode.OK ? TestMigrationMeta.this.cancelMove(request)
                    : CancelMoveResponse.newBuilder().setError(notLeader).build());
        }

        @Override
        public void migrationStatus(MigrationStatusRequest request,
                StreamObserver<MigrationStatusResponse> observer) {
            MetaError notLeader = notLeader();
            answer(observer, notLeader.getCode() == MetaErrorCode.OK ? TestMigrationMeta.this.migrationStatus(request)
                    : MigrationStatusResponse.newBuilder().setError(notLeader).build());
        }

        @Override
        public void getTask(GetTaskRequest request, StreamObserver<GetTaskResponse> observer) {
            GetTaskResponse.Builder response = GetTaskResponse.newBuilder().setError(notLeader());
            Task task = task(request.getTaskId());
            if (response.getError().getCode() == MetaErrorCode.OK) {
                if (task == null) {
                    response.setError(error(MetaErrorCode.NOT_FOUND, "no task " + request.getTaskId()));
                } else {
                    response.setTask(task);
                }
            }
            answer(observer, response.build());
        }

        @Override
        public void getClusterMap(GetClusterMapRequest request, StreamObserver<GetClusterMapResponse> observer) {
            GetClusterMapResponse.Builder response = GetClusterMapResponse.newBuilder().setError(notLeader());
            if (response.getError().getCode() == MetaErrorCode.OK) {
                response.setMap(map()).addAllLeaders(leaders());
            }
            answer(observer, response.build());
        }

        @Override
        public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> observer) {
            ClusterStatusResponse.Builder response = ClusterStatusResponse.newBuilder().setError(notLeader());
            if (response.getError().getCode() == MetaErrorCode.OK) {
                response.setMap(map()).addAllLeaders(leaders()).setMetaLeaderId(index + 1);
                for (long id = 1; id <= 3; id++) {
                    response.addServers(ServerStatus.newBuilder().setServerId(id).setLastHeartbeatAgeMillis(300));
                }
            }
            answer(observer, response.build());
        }
    }
}

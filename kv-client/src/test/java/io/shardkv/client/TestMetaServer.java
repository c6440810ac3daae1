package io.shardkv.client;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.shardkv.meta.proto.ClusterShardChangeType;
import io.shardkv.meta.proto.ClusterShardgroupChangeRequest;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.ClusterStatusRequest;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.GetTaskRequest;
import io.shardkv.meta.proto.GetTaskResponse;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.ShardMembersChangeType;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.ShardgroupMembersChangeResponse;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal MetaService on real gRPC for the client tests, per meta.proto: a non-leader
 * answers NOT_LEADER; the leader serves the {@link TestCluster}'s map and runs changes as
 * tasks that advance one step each time they are polled ("creating replicas", "waiting for
 * a leader", then DONE). A task adding server 99 fails, to test FAILED.
 */
public final class TestMetaServer implements AutoCloseable {
    static final long FAILING_SERVER = 99;
    /** A members change naming this server answers UNAVAILABLE, as a meta leader that lost its group would. */
    static final long UNKNOWN_OUTCOME_SERVER = 98;
    final AtomicInteger unknownOutcomeCalls = new AtomicInteger();

    private final TestCluster cluster;
    private final Server server;
    private volatile boolean leader;
    private final AtomicInteger mapCalls = new AtomicInteger();
    private final AtomicLong nextTask = new AtomicLong(1);
    private final AtomicLong nextGroup = new AtomicLong(100);
    private final Map<Long, Task> tasks = new ConcurrentHashMap<>();
    private final Map<Long, Integer> polls = new ConcurrentHashMap<>();

    TestMetaServer(TestCluster cluster, boolean leader) throws IOException {
        this.cluster = cluster;
        this.leader = leader;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Service()).build().start();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    public void setLeader(boolean isLeader) {
        leader = isLeader;
    }

    int mapCalls() {
        return mapCalls.get();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private MetaError notLeader() {
        return leader ? MetaError.getDefaultInstance()
                : MetaError.newBuilder().setCode(MetaErrorCode.NOT_LEADER).setMessage("not the meta leader").build();
    }

    private static MetaError error(MetaErrorCode code, String message) {
        return MetaError.newBuilder().setCode(code).setMessage(message).build();
    }

    private Task newTask(TaskType type, long group, long serverId, List<Long> serverIds) {
        Task task = Task.newBuilder().setId(nextTask.getAndIncrement()).setType(type).setGroupId(group)
                .setServerId(serverId).addAllServerIds(serverIds).setState(TaskState.PENDING)
                .setStep("queued").setCreatedVersion(cluster.version()).build();
        tasks.put(task.getId(), task);
        return task;
    }

    private final class Service extends MetaServiceGrpc.MetaServiceImplBase {
        @Override
        public void getClusterMap(GetClusterMapRequest request, StreamObserver<GetClusterMapResponse> observer) {
            mapCalls.incrementAndGet();
            GetClusterMapResponse.Builder response = GetClusterMapResponse.newBuilder().setError(notLeader());
            if (leader) {
                response.setMap(cluster.map()).addAllLeaders(cluster.leaders());
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> observer) {
            ClusterStatusResponse.Builder response = ClusterStatusResponse.newBuilder().setError(notLeader());
            if (leader) {
                response.setMap(cluster.map()).addAllLeaders(cluster.leaders()).setMetaLeaderId(1);
                for (var info : cluster.map().getServersList()) {
                    response.addServers(ServerStatus.newBuilder().setServerId(info.getId())
                            .setLastHeartbeatAgeMillis(300));
                }
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void processClusterShardgroupChange(ClusterShardgroupChangeRequest request,
                StreamObserver<ClusterShardgroupChangeResponse> observer) {
            ClusterShardgroupChangeResponse.Builder response =
                    ClusterShardgroupChangeResponse.newBuilder().setError(notLeader());
            if (leader) {
                if (request.getType() == ClusterShardChangeType.ADD_SHARDGROUP) {
                    long group = nextGroup.getAndIncrement();
                    List<Long> servers = request.getServerIdsList().isEmpty() ? List.of(1L, 2L, 3L)
                            : request.getServerIdsList();
                    Task task = newTask(TaskType.CREATE_GROUP, group, 0, servers);
                    ShardGroupInfo.Builder info = ShardGroupInfo.newBuilder().setId(group);
                    for (long s : servers) {
                        info.addReplicas(Replica.newBuilder().setServerId(s));
                    }
                    response.setGroup(info).setTaskId(task.getId()).setConfigVersion(cluster.version());
                } else {
                    TestGroup group = cluster.group(request.getGroupId());
                    if (group == null) {
                        response.setError(error(MetaErrorCode.NOT_FOUND, "no shard group " + request.getGroupId()));
                    } else if (!group.slots().isEmpty()) {
                        response.setError(error(MetaErrorCode.FAILED_PRECONDITION, "shard group "
                                + group.id() + " owns " + group.slots().size() + " slots; move them away first"));
                    } else {
                        response.setTaskId(newTask(TaskType.REMOVE_GROUP, group.id(), 0, List.of()).getId());
                    }
                }
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void processShardgroupMembersChange(ShardgroupMembersChangeRequest request,
                StreamObserver<ShardgroupMembersChangeResponse> observer) {
            ShardgroupMembersChangeResponse.Builder response =
                    ShardgroupMembersChangeResponse.newBuilder().setError(notLeader());
            if (leader) {
                if (cluster.group(request.getGroupId()) == null) {
                    response.setError(error(MetaErrorCode.NOT_FOUND, "no shard group " + request.getGroupId()));
                } else if (request.getServerId() == UNKNOWN_OUTCOME_SERVER) {
                    unknownOutcomeCalls.incrementAndGet();
                    response.setError(error(MetaErrorCode.UNAVAILABLE, "the change failed: group closed"));
                } else {
                    TaskType type = request.getType() == ShardMembersChangeType.ADD_SERVER ? TaskType.ADD_MEMBER
                            : request.getType() == ShardMembersChangeType.REMOVE_SERVER ? TaskType.REMOVE_MEMBER
                            : TaskType.TRANSFER_LEADER;
                    Task task = newTask(type, request.getGroupId(), request.getServerId(), List.of());
                    response.setTaskId(task.getId()).setConfigVersion(cluster.version());
                }
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void getTask(GetTaskRequest request, StreamObserver<GetTaskResponse> observer) {
            GetTaskResponse.Builder response = GetTaskResponse.newBuilder().setError(notLeader());
            if (leader) {
                Task task = tasks.get(request.getTaskId());
                if (task == null) {
                    response.setError(error(MetaErrorCode.NOT_FOUND, "no task " + request.getTaskId()));
                } else {
                    int poll = polls.merge(task.getId(), 1, Integer::sum);
                    Task.Builder next = task.toBuilder();
                    if (poll == 2) {
                        next.setStep("creating replicas");
                    } else if (poll == 3) {
                        next.setStep("waiting for a leader").setLastError("no leader yet");
                    } else if (poll >= 4) {
                        if (task.getServerId() == FAILING_SERVER) {
                            next.setState(TaskState.FAILED).setLastError("server 99 is not registered");
                        } else {
                            next.setState(TaskState.DONE).setStep("done").setLastError("");
                        }
                    }
                    tasks.put(task.getId(), next.build());
                    response.setTask(next.build());
                }
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }
    }
}

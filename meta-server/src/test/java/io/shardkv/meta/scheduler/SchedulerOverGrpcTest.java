package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.GetTaskRequest;
import io.shardkv.meta.proto.GetTaskResponse;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ShardMembersChangeType;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.ShardgroupMembersChangeResponse;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import io.shardkv.meta.server.MetaTestCluster;
import io.shardkv.raft.testing.Await;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler of a real three-replica meta cluster driving scripted kv-servers over real
 * gRPC: bootstrap to DONE, a member outsider through learner and promotion, and a task that a
 * new meta leader resumes at the step the old one recorded.
 */
class SchedulerOverGrpcTest {
    @TempDir
    Path dir;

    private final ScriptedKvCluster kv = new ScriptedKvCluster();
    private final List<ScriptedKvAdminServer> kvServers = new ArrayList<>();

    private HeartbeatRequest startKvServer(long id) {
        ScriptedKvAdminServer s = new ScriptedKvAdminServer(id, kv);
        kvServers.add(s);
        return HeartbeatRequest.newBuilder().setServerId(id).setAddress(s.address())
                .setRaftAddress("127.0.0.1:" + (40_000 + id)).build();
    }

    private static ClusterMap map(MetaTestCluster c, long leader) {
        GetClusterMapResponse r = c.stub(leader).getClusterMap(GetClusterMapRequest.getDefaultInstance());
        return r.getError().getCode() == MetaErrorCode.OK ? r.getMap() : ClusterMap.getDefaultInstance();
    }

    private static Task task(MetaTestCluster c, long leader, long id) {
        GetTaskResponse r = c.stub(leader).getTask(GetTaskRequest.newBuilder().setTaskId(id).build());
        return r.getError().getCode() == MetaErrorCode.OK ? r.getTask() : Task.getDefaultInstance();
    }

    @Test
    void bootstrapAddMemberAndResumeAfterMetaFailover() {
        try (MetaTestCluster c = new MetaTestCluster(dir, 2, 3, 60_000).startAll()) {
            long leader = c.awaitLeader();
            for (long id = 1; id <= 4; id++) {
                HeartbeatRequest hb = startKvServer(id);
                assertThat(c.stub(leader).heartbeat(hb).getError().getCode()).isEqualTo(MetaErrorCode.OK);
            }
            Await.until(() -> "bootstrap tasks done: " + map(c, leader).getTasksList(), () -> {
                ClusterMap m = map(c, leader);
                return m.getTasksCount() == 4 && ClusterMaps.pendingTasks(m).isEmpty();
            });
            ClusterMap booted = map(c, leader);
            assertThat(booted.getTasksList()).extracting(Task::getState).containsOnly(TaskState.DONE);
            synchronized (kv) {
                assertThat(kv.ownedSlots.get(1L)).hasSize(512);
                assertThat(kv.ownedSlots.get(2L)).hasSize(512);
            }
            // Four servers, groups of three: one server is not in group 1.
            long outsider = java.util.stream.LongStream.rangeClosed(1, 4)
                    .filter(id -> ClusterMaps.replica(ClusterMaps.group(booted, 1).orElseThrow(), id).isEmpty())
                    .findFirst().orElseThrow();

            synchronized (kv) {
                kv.promoteRefusals = 2;
            }
            ShardgroupMembersChangeResponse add = c.stub(leader).processShardgroupMembersChange(
                    ShardgroupMembersChangeRequest.newBuilder().setType(ShardMembersChangeType.ADD_SERVER)
                            .setGroupId(1).setServerId(outsider).build());
            assertThat(add.getError().getCode()).as(add.getError().getMessage()).isEqualTo(MetaErrorCode.OK);
            Await.until(() -> "ADD_MEMBER done", () -> task(c, leader, add.getTaskId()).getState() == TaskState.DONE);
            assertThat(ClusterMaps.replica(ClusterMaps.group(map(c, leader), 1).orElseThrow(), outsider).orElseThrow()
                    .getRole()).isEqualTo(ReplicaRole.VOTER);

            // Removing it: the raft removal succeeds, the replica's server does not answer the destroy.
            synchronized (kv) {
                kv.unreachable.add(outsider);
            }
            ShardgroupMembersChangeResponse remove = c.stub(leader).processShardgroupMembersChange(
                    ShardgroupMembersChangeRequest.newBuilder().setType(ShardMembersChangeType.REMOVE_SERVER)
                            .setGroupId(1).setServerId(outsider).build());
            assertThat(remove.getError().getCode()).isEqualTo(MetaErrorCode.OK);
            Await.until(() -> "destroy failing", () -> {
                Task t = task(c, leader, remove.getTaskId());
                return t.getStep().equals(TaskStepper.REMOVED_FROM_GROUP) && !t.getLastError().isEmpty();
            });

            c.stop(leader);
            long next = c.awaitLeader();
            synchronized (kv) {
                kv.unreachable.clear();
            }
            Await.until(() -> "REMOVE_MEMBER done under the new leader",
                    () -> task(c, next, remove.getTaskId()).getState() == TaskState.DONE);
            assertThat(ClusterMaps.group(map(c, next), 1).orElseThrow().getReplicasList())
                    .noneMatch(r -> r.getServerId() == outsider);
            synchronized (kv) {
                assertThat(kv.calls.stream().filter(call -> call.startsWith("ChangeMembership REMOVE")))
                        .as("the new leader resumed after the recorded removal").hasSize(1);
                assertThat(kv.hosted.get(outsider)).doesNotContain(1L);
            }
        } finally {
            kvServers.forEach(ScriptedKvAdminServer::close);
        }
    }

    /** Heartbeats as kv-servers send them: each reports the groups it hosts and who leads them. */
    private void reportGroups(MetaTestCluster c, long leader, List<HeartbeatRequest> servers, Map<Long, Long> terms,
                              Map<Long, Long> reportedLeaders) {
        synchronized (kv) {
            for (Map.Entry<Long, Long> e : kv.leaders.entrySet()) {
                if (!e.getValue().equals(reportedLeaders.put(e.getKey(), e.getValue()))) {
                    terms.merge(e.getKey(), 1L, Long::sum);
                }
            }
            for (HeartbeatRequest hb : servers) {
                HeartbeatRequest.Builder b = hb.toBuilder();
                for (long g : kv.hosted.getOrDefault(hb.getServerId(), java.util.Set.of())) {
                    long l = kv.leaders.getOrDefault(g, 0L);
                    b.addGroups(GroupReport.newBuilder().setGroupId(g).setLeaderId(l).setTerm(terms.getOrDefault(g, 0L))
                            .setRole(l == hb.getServerId() ? "LEADER" : "FOLLOWER"));
                }
                c.stub(leader).heartbeat(b.build());
            }
        }
    }

    @Test
    void groupLeadersAreSpreadFromTheStartAndSpreadAgainByTheBalancer() {
        try (MetaTestCluster c = new MetaTestCluster(dir, 3, 3, 60_000, 300).startAll()) {
            long leader = c.awaitLeader();
            List<HeartbeatRequest> servers = new ArrayList<>();
            for (long id = 1; id <= 3; id++) {
                servers.add(startKvServer(id));
            }
            Map<Long, Long> terms = new HashMap<>();
            Map<Long, Long> reported = new HashMap<>();
            // Each bootstrapped group has another first voter, which the script makes its leader: the
            // groups are born spread, and the leader balancer has nothing to move.
            Await.until(() -> "one group led by each server: " + kv.leaders + " tasks " + map(c, leader).getTasksList(),
                    () -> {
                        reportGroups(c, leader, servers, terms, reported);
                        synchronized (kv) {
                            if (kv.leaders.size() != 3 || new HashSet<>(kv.leaders.values()).size() != 3) {
                                return false;
                            }
                        }
                        return ClusterMaps.pendingTasks(map(c, leader)).isEmpty();
                    });
            List<Task> transfers = map(c, leader).getTasksList().stream()
                    .filter(t -> t.getType() == TaskType.TRANSFER_LEADER).toList();
            assertThat(transfers).isEmpty();

            // Elections later put every leader on server 1: the leader balancer spreads them again.
            synchronized (kv) {
                kv.leaders.replaceAll((g, l) -> 1L);
            }
            Await.until(() -> "leaders spread again: " + kv.leaders + " tasks " + map(c, leader).getTasksList(),
                    () -> {
                        reportGroups(c, leader, servers, terms, reported);
                        synchronized (kv) {
                            if (new HashSet<>(kv.leaders.values()).size() != 3) {
                                return false;
                            }
                        }
                        return ClusterMaps.pendingTasks(map(c, leader)).isEmpty();
                    });
            List<Task> moves = map(c, leader).getTasksList().stream()
                    .filter(t -> t.getType() == TaskType.TRANSFER_LEADER).toList();
            assertThat(moves).hasSize(2).extracting(Task::getState).containsOnly(TaskState.DONE);
        } finally {
            kvServers.forEach(ScriptedKvAdminServer::close);
        }
    }
}

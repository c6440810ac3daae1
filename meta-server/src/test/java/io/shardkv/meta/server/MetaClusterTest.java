package io.shardkv.meta.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import io.shardkv.meta.map.ClusterMaps;
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
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.HeartbeatResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardMembersChangeType;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.ShardgroupMembersChangeResponse;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.raft.testing.Await;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three meta-servers over real gRPC: election, heartbeats, admin calls, watch, restart and failover. */
class MetaClusterTest {
    @TempDir
    Path dir;

    /** A heartbeat from a kv-server that is not really there: its address refuses connections. */
    private static HeartbeatRequest heartbeat(long serverId) {
        return HeartbeatRequest.newBuilder().setServerId(serverId).setAddress("127.0.0.1:1")
                .setRaftAddress("127.0.0.1:" + (2 + serverId))
                .addGroups(GroupReport.newBuilder().setGroupId(1).setRole("LEADER").setTerm(3).setLeaderId(serverId))
                .build();
    }

    private static ClusterMap map(MetaTestCluster c, long id) {
        GetClusterMapResponse r = c.stub(id).getClusterMap(GetClusterMapRequest.getDefaultInstance());
        assertThat(r.getError().getCode()).as(r.getError().getMessage()).isEqualTo(MetaErrorCode.OK);
        return r.getMap();
    }

    @Test
    void leaderServesHeartbeatsBootstrapAndAdminCalls() {
        try (MetaTestCluster c = new MetaTestCluster(dir, 2, 3, 60_000).startAll()) {
            long leader = c.awaitLeader();
            long follower = c.someFollower(leader);

            GetClusterMapResponse notLeader = c.stub(follower).getClusterMap(GetClusterMapRequest.getDefaultInstance());
            assertThat(notLeader.getError().getCode()).isEqualTo(MetaErrorCode.NOT_LEADER);
            assertThat(notLeader.getError().getMessage()).contains("not the meta leader");
            Await.until(() -> "follower knows the leader", () -> c.stub(follower)
                    .getClusterMap(GetClusterMapRequest.getDefaultInstance()).getError().getLeaderId() == leader);
            assertThat(c.stub(follower).heartbeat(heartbeat(11)).getError().getCode())
                    .isEqualTo(MetaErrorCode.NOT_LEADER);

            for (long kv = 11; kv <= 13; kv++) {
                HeartbeatResponse hb = c.stub(leader).heartbeat(heartbeat(kv));
                assertThat(hb.getError().getCode()).as(hb.getError().getMessage()).isEqualTo(MetaErrorCode.OK);
            }
            assertThat(map(c, leader).getServersList()).extracting(s -> s.getState())
                    .containsOnly(ServerState.SERVER_RUNNING).hasSize(3);

            // Three running servers: the scheduler bootstraps two groups over all 1024 slots.
            Await.until(() -> "bootstrap", () -> map(c, leader).getGroupsCount() == 2);
            ClusterMap boot = map(c, leader);
            assertThat(boot.getSlotsList()).allMatch(s -> s.getState() == SlotState.RUNNING);
            assertThat(boot.getSlots(0).getGroupId()).isEqualTo(1);
            assertThat(boot.getSlots(1023).getGroupId()).isEqualTo(2);
            // The kv-servers do not exist, so CREATE_GROUP keeps retrying and says why.
            Await.until(() -> "a task error", () -> !map(c, leader).getTasks(0).getLastError().isEmpty());
            assertThat(map(c, leader).getTasks(0).getState()).isEqualTo(TaskState.PENDING);

            ClusterShardgroupChangeResponse add = c.stub(leader).processClusterShardgroupChange(
                    ClusterShardgroupChangeRequest.newBuilder().setType(ClusterShardChangeType.ADD_SHARDGROUP)
                            .setReplicas(2).build());
            assertThat(add.getError().getCode()).as(add.getError().getMessage()).isEqualTo(MetaErrorCode.OK);
            assertThat(add.getGroup().getId()).isEqualTo(3);
            assertThat(add.getGroup().getReplicasCount()).isEqualTo(2);
            GetTaskResponse task = c.stub(leader).getTask(GetTaskRequest.newBuilder().setTaskId(add.getTaskId()).build());
            assertThat(task.getTask().getState()).isEqualTo(TaskState.PENDING);
            assertThat(c.stub(leader).getTask(GetTaskRequest.newBuilder().setTaskId(999).build()).getError().getCode())
                    .isEqualTo(MetaErrorCode.NOT_FOUND);

            ClusterShardgroupChangeResponse tooMany = c.stub(leader).processClusterShardgroupChange(
                    ClusterShardgroupChangeRequest.newBuilder().setType(ClusterShardChangeType.ADD_SHARDGROUP)
                            .setReplicas(5).build());
            assertThat(tooMany.getError().getCode()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);
            assertThat(tooMany.getError().getMessage()).contains("only 3 are running");

            // replicas is a uint32: 2^32 - 1 is read as such, not as -1.
            ClusterShardgroupChangeResponse huge = c.stub(leader).processClusterShardgroupChange(
                    ClusterShardgroupChangeRequest.newBuilder().setType(ClusterShardChangeType.ADD_SHARDGROUP)
                            .setReplicas(-1).build());
            assertThat(huge.getError().getCode()).isEqualTo(MetaErrorCode.INVALID_ARGUMENT);
            assertThat(huge.getError().getMessage()).contains("asked for 4294967295");

            // A group that owns slots is removed by draining them first, but not while it is being created.
            ClusterShardgroupChangeResponse creating = c.stub(leader).processClusterShardgroupChange(
                    ClusterShardgroupChangeRequest.newBuilder().setType(ClusterShardChangeType.REMOVE_SHARDGROUP)
                            .setGroupId(1).build());
            assertThat(creating.getError().getCode()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);
            assertThat(creating.getError().getMessage()).contains("pending task");
            assertThat(c.stub(leader).processClusterShardgroupChange(ClusterShardgroupChangeRequest.newBuilder()
                    .setType(ClusterShardChangeType.REMOVE_SHARDGROUP).setGroupId(99).build()).getError().getCode())
                    .isEqualTo(MetaErrorCode.NOT_FOUND);

            ShardgroupMembersChangeResponse busy = c.stub(leader).processShardgroupMembersChange(
                    ShardgroupMembersChangeRequest.newBuilder().setType(ShardMembersChangeType.REMOVE_SERVER)
                            .setGroupId(3).setServerId(add.getGroup().getReplicas(0).getServerId()).build());
            assertThat(busy.getError().getCode()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);
            assertThat(busy.getError().getMessage()).contains("pending task");
            ShardgroupMembersChangeResponse stale = c.stub(leader).processShardgroupMembersChange(
                    ShardgroupMembersChangeRequest.newBuilder().setType(ShardMembersChangeType.ADD_SERVER)
                            .setGroupId(3).setServerId(13).setConfigVersion(1).build());
            assertThat(stale.getError().getCode()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);
            assertThat(stale.getError().getMessage()).contains("not the current map version");
            assertThat(c.stub(leader).processShardgroupMembersChange(ShardgroupMembersChangeRequest.newBuilder()
                    .setType(ShardMembersChangeType.ADD_SERVER).setGroupId(3).setServerId(77).build())
                    .getError().getCode()).isEqualTo(MetaErrorCode.NOT_FOUND);
            assertThat(c.stub(follower).processShardgroupMembersChange(ShardgroupMembersChangeRequest.newBuilder()
                    .setType(ShardMembersChangeType.ADD_SERVER).setGroupId(3).setServerId(13).build())
                    .getError().getCode()).isEqualTo(MetaErrorCode.NOT_LEADER);

            ClusterStatusResponse status = c.stub(leader).clusterStatus(ClusterStatusRequest.getDefaultInstance());
            assertThat(status.getMetaLeaderId()).isEqualTo(leader);
            assertThat(status.getServersList()).hasSize(3).allMatch(s -> s.getLastHeartbeatAgeMillis() >= 0);
            assertThat(status.getLeadersList()).isNotEmpty();
            assertThat(c.server(leader).health().ready()).isTrue();
            assertThat(c.server(leader).health().live()).isTrue();

            // Every gauge reads as a number, and the per-group slot counts follow the map.
            System.gc();
            String scrape = c.registry(leader).scrape();
            assertThat(scrape).contains("shardkv_meta_groups ").contains("shardkv_meta_group_slots{group=\"1\"}")
                    .doesNotContain("NaN");
            long slotsRows = scrape.lines().filter(l -> l.startsWith("shardkv_meta_group_slots{")).count();
            assertThat(slotsRows).isEqualTo(status.getMap().getGroupsCount());
        }
    }

    @Test
    void watchAnswersWhenTheVersionChangesAndServersGoDownAndBackUp() throws Exception {
        try (MetaTestCluster c = new MetaTestCluster(dir, 1, 3, 1_000).startAll()) {
            long leader = c.awaitLeader();
            long known = map(c, leader).getConfigVersion();
            GetClusterMapResponse idle = c.stub(leader).getClusterMap(GetClusterMapRequest.newBuilder()
                    .setKnownVersion(known).setWaitMillis(100).build());
            assertThat(idle.getMap().getConfigVersion()).isEqualTo(known);

            ListenableFuture<GetClusterMapResponse> watch = c.futureStub(leader).getClusterMap(
                    GetClusterMapRequest.newBuilder().setKnownVersion(known).setWaitMillis(15_000).build());
            assertThat(c.stub(leader).heartbeat(heartbeat(21)).getError().getCode()).isEqualTo(MetaErrorCode.OK);
            GetClusterMapResponse changed = watch.get(10, TimeUnit.SECONDS);
            assertThat(changed.getMap().getConfigVersion()).isGreaterThan(known);
            assertThat(ClusterMaps.server(changed.getMap(), 21)).isPresent();

            // Silent for longer than server-down-millis: DOWN; the next heartbeat brings it back.
            Await.until(() -> "server 21 down", () -> ClusterMaps.server(map(c, leader), 21).orElseThrow()
                    .getState() == ServerState.SERVER_DOWN);
            assertThat(c.stub(leader).heartbeat(heartbeat(21)).getError().getCode()).isEqualTo(MetaErrorCode.OK);
            assertThat(ClusterMaps.isRunning(map(c, leader), 21)).isTrue();
        }
    }

    @Test
    void theMapSurvivesARestartOfAllReplicasAndALeaderFailover() {
        try (MetaTestCluster c = new MetaTestCluster(dir, 1, 5, 60_000).startAll()) {
            long leader = c.awaitLeader();
            for (long kv = 31; kv <= 33; kv++) {
                assertThat(c.stub(leader).heartbeat(heartbeat(kv)).getError().getCode()).isEqualTo(MetaErrorCode.OK);
            }
            ClusterShardgroupChangeResponse add = c.stub(leader).processClusterShardgroupChange(
                    ClusterShardgroupChangeRequest.newBuilder().setType(ClusterShardChangeType.ADD_SHARDGROUP)
                            .addServerIds(31).addServerIds(32).build());
            assertThat(add.getError().getCode()).as(add.getError().getMessage()).isEqualTo(MetaErrorCode.OK);
            ClusterMap before = map(c, leader);

            c.stopAll();
            c.startAll();
            long newLeader = c.awaitLeader();
            Await.until(() -> "the restarted leader serves the map", () -> {
                GetClusterMapResponse r = c.stub(newLeader).getClusterMap(GetClusterMapRequest.getDefaultInstance());
                return r.getError().getCode() == MetaErrorCode.OK;
            });
            ClusterMap after = map(c, newLeader);
            assertThat(after.getServersList()).isEqualTo(before.getServersList());
            assertThat(after.getGroupsList()).isEqualTo(before.getGroupsList());
            assertThat(after.getConfigVersion()).isGreaterThanOrEqualTo(before.getConfigVersion());

            c.stop(newLeader);
            long third = c.awaitLeader();
            assertThat(third).isNotEqualTo(newLeader);
            Await.until(() -> "the new leader serves the map", () -> c.stub(third)
                    .getClusterMap(GetClusterMapRequest.getDefaultInstance()).getError().getCode() == MetaErrorCode.OK);
            ClusterMap failedOver = map(c, third);
            assertThat(failedOver.getGroupsList()).isEqualTo(before.getGroupsList());
            assertThat(c.stub(third).heartbeat(heartbeat(34)).getError().getCode()).isEqualTo(MetaErrorCode.OK);
            assertThat(map(c, third).getServersCount()).isEqualTo(4);
        }
    }
}

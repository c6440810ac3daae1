package io.shardkv.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ServerStatus;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code cluster status} as a table and as JSON, from one hand-built status that has a bit of everything. */
class ClusterStatusOutputTest {
    /**
     * Two servers (one down, never heard from, with a client address), two groups (one with a
     * learner, one without a known leader), slots 0-9 moving from group 1 to group 2, four slots
     * unassigned, two pending tasks and one done.
     */
    private static ClusterStatusResponse smallCluster() {
        ClusterMap.Builder map = ClusterMap.newBuilder().setConfigVersion(7)
                .addServers(ServerInfo.newBuilder().setId(1).setAddress("10.0.0.1:7001")
                        .setRaftAddress("10.0.0.1:8001").setState(ServerState.SERVER_RUNNING))
                .addServers(ServerInfo.newBuilder().setId(2).setAddress("10.0.0.2:7001")
                        .setRaftAddress("10.0.0.2:8001").setClientAddress("kv-2.example:7001")
                        .setState(ServerState.SERVER_DOWN))
                .addGroups(ShardGroupInfo.newBuilder().setId(1)
                        .addReplicas(Replica.newBuilder().setServerId(1).setRole(ReplicaRole.VOTER))
                        .addReplicas(Replica.newBuilder().setServerId(2).setRole(ReplicaRole.LEARNER)))
                .addGroups(ShardGroupInfo.newBuilder().setId(2)
                        .addReplicas(Replica.newBuilder().setServerId(2).setRole(ReplicaRole.VOTER)));
        for (int slot = 0; slot < 1024; slot++) {
            SlotInfo.Builder info = SlotInfo.newBuilder().setEpoch(1);
            if (slot < 10) {
                info.setState(SlotState.MIGRATING).setGroupId(1).setMigrationGroupId(2);
            } else if (slot < 512) {
                info.setState(SlotState.RUNNING).setGroupId(1);
            } else if (slot < 1020) {
                info.setState(SlotState.RUNNING).setGroupId(2);
            } else {
                info.setState(SlotState.UNSET);
            }
            map.addSlots(info);
        }
        map.addTasks(Task.newBuilder().setId(4).setType(TaskType.ASSIGN_SLOTS).setGroupId(2).setState(TaskState.DONE))
                .addTasks(Task.newBuilder().setId(5).setType(TaskType.MOVE_SLOTS).setGroupId(1).setTargetGroupId(2)
                        .addAllSlots(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)).setState(TaskState.PENDING)
                        .setStep("copied").setLastError("group 2 says \"busy\""))
                .addTasks(Task.newBuilder().setId(6).setType(TaskType.ADD_MEMBER).setGroupId(1).setServerId(2)
                        .setState(TaskState.PENDING).setStep("learner added"));
        return ClusterStatusResponse.newBuilder().setMap(map).setMetaLeaderId(3)
                .addLeaders(GroupLeader.newBuilder().setGroupId(1).setLeaderServerId(1).setTerm(4))
                .addServers(ServerStatus.newBuilder().setServerId(1).setLastHeartbeatAgeMillis(250))
                .addServers(ServerStatus.newBuilder().setServerId(2).setLastHeartbeatAgeMillis(-1))
                .build();
    }

    @Test
    void theTableShowsEachFactOnItsRow() {
        assertThat(StatusFormatter.format(smallCluster())).isEqualTo("""
                config version 7, meta leader 3

                servers:
                  ID  ADDRESS                                     RAFT           STATE    HEARTBEAT  LEADER OF
                  1   10.0.0.1:7001                               10.0.0.1:8001  RUNNING  0.3s ago   1
                  2   10.0.0.2:7001 (clients: kv-2.example:7001)  10.0.0.2:8001  DOWN     never      0

                shard groups:
                  ID  LEADER  TERM  MEMBERS              SLOTS
                  1   1       4     1(voter) 2(learner)  0-511 (512); migrating 0-9 -> group 2
                  2   -       -     2(voter)             512-1019 (508); importing 0-9 from group 1
                unassigned slots: 4
                migrating slots: 0-9

                pending tasks: 2
                  task 5 MOVE_SLOTS group 1 -> group 2 slots 0-9: PENDING, step 'copied', \
                last error: group 2 says "busy"
                  task 6 ADD_MEMBER group 1 server 2: PENDING, step 'learner added'
                """);
    }

    @Test
    void theJsonIsOneObjectWithTheSameFacts() {
        assertThat(StatusJson.format(smallCluster())).isEqualTo("{\"config_version\":7,\"meta_leader_id\":3,"
                + "\"servers\":["
                + "{\"id\":1,\"address\":\"10.0.0.1:7001\",\"raft_address\":\"10.0.0.1:8001\",\"client_address\":\"\","
                + "\"state\":\"RUNNING\",\"last_heartbeat_age_millis\":250,\"leader_of\":[1]},"
                + "{\"id\":2,\"address\":\"10.0.0.2:7001\",\"raft_address\":\"10.0.0.2:8001\","
                + "\"client_address\":\"kv-2.example:7001\",\"state\":\"DOWN\",\"last_heartbeat_age_millis\":-1,"
                + "\"leader_of\":[]}],"
                + "\"groups\":["
                + "{\"id\":1,\"leader_id\":1,\"term\":4,"
                + "\"replicas\":[{\"server_id\":1,\"role\":\"VOTER\"},{\"server_id\":2,\"role\":\"LEARNER\"}],"
                + "\"slots\":\"0-511\",\"slot_count\":512,\"migrating\":[{\"slots\":\"0-9\",\"to_group\":2}],"
                + "\"importing\":[]},"
                + "{\"id\":2,\"leader_id\":0,\"term\":0,\"replicas\":[{\"server_id\":2,\"role\":\"VOTER\"}],"
                + "\"slots\":\"512-1019\",\"slot_count\":508,\"migrating\":[],"
                + "\"importing\":[{\"slots\":\"0-9\",\"from_group\":1}]}],"
                + "\"slots_unassigned\":4,"
                + "\"pending_tasks\":["
                + "{\"id\":5,\"type\":\"MOVE_SLOTS\",\"group_id\":1,\"target_group_id\":2,\"server_id\":0,"
                + "\"step\":\"copied\",\"last_error\":\"group 2 says \\\"busy\\\"\",\"abort_reason\":\"\"},"
                + "{\"id\":6,\"type\":\"ADD_MEMBER\",\"group_id\":1,\"target_group_id\":0,\"server_id\":2,"
                + "\"step\":\"learner added\",\"last_error\":\"\",\"abort_reason\":\"\"}]}\n");
    }

    @Test
    void uint64sAreWrittenUnsigned() {
        ClusterStatusResponse status = ClusterStatusResponse.newBuilder()
                .setMap(ClusterMap.newBuilder().setConfigVersion(-1)).setMetaLeaderId(Long.MIN_VALUE).build();
        assertThat(StatusJson.format(status)).isEqualTo("{\"config_version\":18446744073709551615,"
                + "\"meta_leader_id\":9223372036854775808,\"servers\":[],\"groups\":[],\"slots_unassigned\":0,"
                + "\"pending_tasks\":[]}\n");
    }
}

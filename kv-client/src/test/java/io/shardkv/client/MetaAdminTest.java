package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetaAdminTest {
    private TestCluster cluster;
    private MetaAdmin admin;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void changesReturnTasksThatCanBeAwaited() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 3);
        cluster.metas().get(0).setLeader(false);
        cluster.metas().get(1).setLeader(true);
        admin = MetaAdmin.connect(cluster.metaEndpoints(), Duration.ofSeconds(5));

        assertThat(admin.getClusterMap().getGroupsCount()).isEqualTo(1);
        assertThat(admin.clusterStatus().getMetaLeaderId()).isEqualTo(1);

        ClusterShardgroupChangeResponse added = admin.addGroup(List.of(1L, 2L, 3L));
        assertThat(added.getGroup().getReplicasCount()).isEqualTo(3);
        List<String> steps = new ArrayList<>();
        Task done = admin.awaitTask(added.getTaskId(), Duration.ofSeconds(10), t -> steps.add(t.getStep()));
        assertThat(done.getState()).isEqualTo(TaskState.DONE);
        assertThat(steps).containsSubsequence("queued", "creating replicas", "waiting for a leader", "done");

        long member = admin.addMember(1, 2).getTaskId();
        assertThat(admin.awaitTask(member, Duration.ofSeconds(10)).getState()).isEqualTo(TaskState.DONE);
    }

    @Test
    void failuresCarryTheServersCodeAndMessage() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 1);
        admin = MetaAdmin.connect(cluster.metaEndpoints(), Duration.ofSeconds(5));

        assertThatThrownBy(() -> admin.removeGroup(1))
                .isInstanceOf(MetaException.class)
                .hasMessage("shard group 1 owns 1024 slots; move them away first")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);
        assertThatThrownBy(() -> admin.getTask(77))
                .isInstanceOf(MetaException.class)
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.NOT_FOUND);

        long failing = admin.addMember(1, TestMetaServer.FAILING_SERVER).getTaskId();
        assertThatThrownBy(() -> admin.awaitTask(failing, Duration.ofSeconds(10)))
                .isInstanceOf(TaskFailedException.class)
                .hasMessageContaining("server 99 is not registered")
                .extracting(e -> ((TaskFailedException) e).task().getState()).isEqualTo(TaskState.FAILED);

        // A change whose outcome is unknown is not sent again: it may have applied.
        assertThatThrownBy(() -> admin.addMember(1, TestMetaServer.UNKNOWN_OUTCOME_SERVER))
                .isInstanceOf(MetaException.class)
                .hasMessageContaining("may or may not have happened")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.UNAVAILABLE);
        assertThat(cluster.metas().get(0).unknownOutcomeCalls.get()).isEqualTo(1);

        long slow = admin.addMember(1, 2).getTaskId();
        assertThatThrownBy(() -> admin.awaitTask(slow, Duration.ofMillis(1)))
                .isInstanceOf(MetaException.class)
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.TIMEOUT);
    }

    @Test
    void noMetaLeaderIsUnavailable() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 2);
        cluster.metas().get(0).setLeader(false);
        admin = MetaAdmin.connect(cluster.metaEndpoints(), Duration.ofMillis(300));
        assertThatThrownBy(() -> admin.getClusterMap())
                .isInstanceOf(MetaException.class)
                .hasMessageStartingWith("no meta-server leader answered at ")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.UNAVAILABLE);
    }
}

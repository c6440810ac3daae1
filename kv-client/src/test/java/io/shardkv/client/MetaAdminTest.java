package io.shardkv.client;

import io.shardkv.security.ClientSecurity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetaAdminTest {
    private TestCluster cluster;
    private TestMigrationMeta moves;
    private MetaAdmin admin;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (moves != null) {
            moves.close();
        }
    }

    @Test
    void changesReturnTasksThatCanBeAwaited() throws Exception {
        cluster = TestCluster.start(3, 1, 3, 3);
        cluster.metas().get(0).setLeader(false);
        cluster.metas().get(1).setLeader(true);
        admin = MetaAdmin.connect(cluster.metaEndpoints(), Duration.ofSeconds(5), ClientSecurity.insecure());

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
        admin = MetaAdmin.connect(cluster.metaEndpoints(), Duration.ofSeconds(5), ClientSecurity.insecure());

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
        admin = MetaAdmin.connect(cluster.metaEndpoints(), Duration.ofMillis(300), ClientSecurity.insecure());
        assertThatThrownBy(() -> admin.getClusterMap())
                .isInstanceOf(MetaException.class)
                .hasMessageStartingWith("no meta-server leader answered at ")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.UNAVAILABLE);
    }

    @Test
    void moveSlotsCreatesATaskPerSourceGroupAndReportsItsProgress() throws Exception {
        moves = TestMigrationMeta.start(2);
        moves.setLeader(1);
        admin = MetaAdmin.connect(moves.endpoints(), Duration.ofSeconds(5), ClientSecurity.insecure());

        List<Long> ids = admin.moveSlots(List.of(10, 11, 12, 600), 3);
        assertThat(ids).containsExactly(1L, 2L);
        assertThat(admin.getClusterMap().getSlots(10))
                .extracting(s -> s.getState(), s -> s.getGroupId(), s -> s.getMigrationGroupId())
                .containsExactly(SlotState.MIGRATING, 1L, 3L);

        List<MigrationInfo> first = admin.migrationStatus(1);
        assertThat(first).hasSize(1);
        Task task = first.get(0).getTask();
        assertThat(task.getType()).isEqualTo(TaskType.MOVE_SLOTS);
        assertThat(task.getGroupId()).isEqualTo(1);
        assertThat(task.getTargetGroupId()).isEqualTo(3);
        assertThat(task.getSlotsList()).containsExactly(10, 11, 12);
        assertThat(task.getStep()).isEqualTo("prepared");
        assertThat(first.get(0).getProgress().getPhase()).isEqualTo("preparing");
        assertThat(first.get(0).getProgress().getBytesEstimate()).isEqualTo(3 * TestMigrationMeta.BYTES_PER_SLOT);

        MigrationInfo copying = admin.migrationStatus(1).get(0);
        assertThat(copying.getProgress().getPhase()).isEqualTo("copying");
        assertThat(copying.getProgress().getKeysCopied()).isEqualTo(15);
        assertThat(copying.getProgress().getJournalLag()).isEqualTo(40);

        // 0 lists every move; both end DONE and the slots belong to the target.
        List<TaskState> states = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            states = admin.migrationStatus(0).stream().map(m -> m.getTask().getState()).toList();
        }
        assertThat(states).containsExactly(TaskState.DONE, TaskState.DONE);
        assertThat(admin.getClusterMap().getSlots(600))
                .extracting(s -> s.getState(), s -> s.getGroupId(), s -> s.getEpoch())
                .containsExactly(SlotState.RUNNING, 3L, 2L);
        assertThat(admin.getTask(2).getState()).isEqualTo(TaskState.DONE);
    }

    @Test
    void aMoveIsCancelledOnlyBeforeItCommits() throws Exception {
        moves = TestMigrationMeta.start(1);
        admin = MetaAdmin.connect(moves.endpoints(), Duration.ofSeconds(5), ClientSecurity.insecure());

        long cancelled = admin.moveSlots(List.of(0, 1), 3).get(0);
        admin.migrationStatus(cancelled);
        admin.cancelMove(cancelled);
        assertThat(moves.task(cancelled).getAbortReason()).isEqualTo("cancelled by operator");
        Task aborted = admin.migrationStatus(cancelled).get(0).getTask();
        assertThat(aborted.getState()).isEqualTo(TaskState.FAILED);
        assertThat(aborted.getLastError()).isEqualTo("aborted: cancelled by operator");
        assertThat(moves.ownerOf(0)).isEqualTo(1);
        assertThat(admin.getClusterMap().getSlots(0).getState()).isEqualTo(SlotState.RUNNING);
        assertThatThrownBy(() -> admin.cancelMove(cancelled))
                .isInstanceOf(MetaException.class)
                .hasMessage("task " + cancelled + " has already ended (FAILED)")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);

        long committed = admin.moveSlots(List.of(0, 1), 3).get(0);
        String step = "";
        for (int read = 0; read < 10 && !step.equals("committed"); read++) {
            step = admin.migrationStatus(committed).get(0).getTask().getStep();
        }
        assertThat(step).isEqualTo("committed");
        assertThatThrownBy(() -> admin.cancelMove(committed))
                .isInstanceOf(MetaException.class)
                .hasMessageContaining("has committed")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);
        assertThatThrownBy(() -> admin.cancelMove(77))
                .isInstanceOf(MetaException.class)
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.NOT_FOUND);
        assertThatThrownBy(() -> admin.migrationStatus(77))
                .isInstanceOf(MetaException.class)
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.NOT_FOUND);
    }

    @Test
    void badMovesFailWithTheirCode() throws Exception {
        moves = TestMigrationMeta.start(1);
        admin = MetaAdmin.connect(moves.endpoints(), Duration.ofSeconds(5), ClientSecurity.insecure());

        // Checked before any call.
        assertThatThrownBy(() -> admin.moveSlots(List.of(), 3))
                .isInstanceOf(MetaException.class).hasMessage("no slots to move")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(() -> admin.moveSlots(List.of(5, 1024), 3))
                .isInstanceOf(MetaException.class).hasMessage("slot 1024 is outside 0..1023")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(() -> admin.moveSlots(List.of(5), 0))
                .isInstanceOf(MetaException.class)
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.INVALID_ARGUMENT);

        // The meta leader's refusals.
        assertThatThrownBy(() -> admin.moveSlots(List.of(5), 42))
                .isInstanceOf(MetaException.class).hasMessage("no shard group 42")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.NOT_FOUND);
        admin.moveSlots(IntStream.range(0, 8).boxed().toList(), 3);
        assertThatThrownBy(() -> admin.moveSlots(List.of(7), 2))
                .isInstanceOf(MetaException.class).hasMessage("slot 7 is already moving to group 3")
                .extracting(e -> ((MetaException) e).code()).isEqualTo(MetaErrorCode.FAILED_PRECONDITION);

        // A move whose outcome is unknown is sent again: the repeat joins the move if the first applied.
        assertThat(admin.moveSlots(List.of(9), TestMigrationMeta.UNKNOWN_OUTCOME_GROUP))
                .containsExactly(TestMigrationMeta.UNKNOWN_OUTCOME_TASK);
        assertThat(moves.unknownOutcomeCalls.get()).isEqualTo(2);
    }
}

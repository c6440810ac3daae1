package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's step logic against a scripted kv side, with the map advanced by the real
 * transition function exactly as the scheduler would through the log.
 */
class TaskStepperTest {
    private final ScriptedKvCluster kv = new ScriptedKvCluster();
    private final Map<Long, Long> hints = new HashMap<>();
    private final long[] clockMillis = {1_000};
    private final MigrationBoard board = new MigrationBoard(() -> clockMillis[0]);
    private final TaskStepper stepper = new TaskStepper(kv, g -> hints.getOrDefault(g, 0L), board, 0);
    private final List<String> lastErrors = new ArrayList<>();

    private static ClusterMap apply(ClusterMap m, MetaCommand c) {
        MapTransitions.Outcome o = MapTransitions.apply(m, c);
        assertThat(o.ok()).as(o.result().getError().getMessage()).isTrue();
        return o.map();
    }

    private static ClusterMap servers(int n) {
        ClusterMap m = ClusterMaps.initial();
        for (long id = 1; id <= n; id++) {
            m = apply(m, MetaCommand.registerServer(id, "127.0.0.1:" + (9100 + id), "127.0.0.1:" + (9200 + id)));
        }
        return m;
    }

    /** Runs the scheduler's loop for one group's tasks, as MetaScheduler.drive does, up to a step budget. */
    private ClusterMap drive(ClusterMap m, int budget) {
        for (int i = 0; i < budget; i++) {
            Optional<Task> next = ClusterMaps.pendingTasks(m).stream().findFirst();
            if (next.isEmpty()) {
                return m;
            }
            // The task the scheduler works on for that group (a slot move goes first).
            Task t = ClusterMaps.pendingTaskOf(m, next.get().getGroupId()).orElseThrow();
            StepResult r = stepper.step(t, m);
            if (r instanceof StepResult.Advanced a) {
                m = apply(m, MetaCommand.taskProgress(t.getId(), a.step().recorded()));
            } else if (r instanceof StepResult.Completed) {
                m = apply(m, MetaCommand.taskComplete(t.getId()));
            } else if (r instanceof StepResult.Retry retry) {
                lastErrors.add(retry.error().message());
                if (!retry.error().code().equals(t.getLastErrorCode())) {
                    m = apply(m, MetaCommand.taskProgress(t.getId(), t.getStep(), retry.error().message(),
                            retry.error().code()));
                }
            } else if (r instanceof StepResult.Failed f) {
                m = apply(m, MetaCommand.taskFail(t.getId(), f.error()));
            } else if (r instanceof StepResult.Decide d) {
                m = apply(m, d.command());
            }
        }
        return m;
    }

    private static Task task(ClusterMap m, long id) {
        return ClusterMaps.task(m, id).orElseThrow();
    }

    @Test
    void bootstrapCreatesGroupsThenAssignsSlotsOnTheirLeaders() {
        ClusterMap m = servers(3);
        m = apply(m, new BootstrapPlanner(2, 3).plan(m).orElseThrow());
        m = drive(m, 50);
        assertThat(ClusterMaps.pendingTasks(m)).isEmpty();
        assertThat(m.getTasksList()).extracting(Task::getState).containsOnly(TaskState.DONE);
        assertThat(kv.hosted.get(1L)).containsExactly(1L, 2L);
        assertThat(kv.hosted.get(3L)).containsExactly(1L, 2L);
        assertThat(kv.ownedSlots.get(1L)).hasSize(512).contains(0, 511);
        assertThat(kv.ownedSlots.get(2L)).hasSize(512).contains(512, 1023);
    }

    @Test
    void createGroupRetriesAfterAFailureAndRecordsTheError() {
        ClusterMap m = apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        kv.failNextCreates = 2;
        m = drive(m, 1);
        Task t = task(m, 1);
        assertThat(t.getState()).isEqualTo(TaskState.PENDING);
        assertThat(t.getLastError()).contains("CreateReplica(group 1) on server 1: UNAVAILABLE disk busy");
        m = drive(m, 10);
        assertThat(task(m, 1).getState()).isEqualTo(TaskState.DONE);
        assertThat(task(m, 1).getLastError()).isEmpty();
    }

    @Test
    void createGroupWaitsForALeader() {
        ClusterMap m = apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        m = drive(m, 1);
        assertThat(task(m, 1).getStep()).isEqualTo(TaskStepper.REPLICAS_CREATED);
        kv.leaders.clear();
        m = drive(m, 1);
        assertThat(task(m, 1).getState()).isEqualTo(TaskState.PENDING);
        assertThat(task(m, 1).getLastError()).contains("reports a leader");
        hints.put(1L, 2L);
        m = drive(m, 1);
        assertThat(task(m, 1).getState()).isEqualTo(TaskState.DONE);
        // Server 2 won the first election; the new group is asked once to hand over to its first voter.
        assertThat(kv.calls.stream().filter(c -> c.equals("TransferLeader 1@2"))).hasSize(1);
    }

    @Test
    void aNewGroupWhoseFirstVoterLeadsIsLeftAlone() {
        ClusterMap m = apply(servers(3), MetaCommand.addGroup(List.of(3L, 1L, 2L), 0));
        hints.put(1L, 3L);
        m = drive(m, 5);
        assertThat(task(m, 1).getState()).isEqualTo(TaskState.DONE);
        assertThat(kv.calls).noneMatch(c -> c.startsWith("TransferLeader"));
    }

    @Test
    void bootstrapGivesEachGroupAnotherFirstVoter() {
        assertThat(firstVoters(3, 3)).containsExactly(1L, 2L, 3L);
        assertThat(firstVoters(5, 5)).doesNotHaveDuplicates();
    }

    /** The first voter (the intended leader) of each group a bootstrap creates. */
    private List<Long> firstVoters(int servers, int groups) {
        ClusterMap m = servers(servers);
        m = apply(m, new BootstrapPlanner(groups, 3).plan(m).orElseThrow());
        List<Long> first = new ArrayList<>();
        for (Task t : m.getTasksList()) {
            if (t.getType() == TaskType.CREATE_GROUP) {
                assertThat(t.getServerIdsList()).doesNotHaveDuplicates().hasSize(3);
                first.add(t.getServerIds(0));
            }
        }
        return first;
    }

    @Test
    void addMemberCreatesAddsAsLearnerAndPromotesOnceCaughtUp() {
        ClusterMap m = drive(apply(servers(4), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        hints.put(1L, 3L);
        kv.promoteRefusals = 2;
        m = apply(m, MetaCommand.addMember(1, 4, 0));
        m = drive(m, 20);
        Task t = m.getTasksList().get(m.getTasksCount() - 1);
        assertThat(t.getState()).isEqualTo(TaskState.DONE);
        assertThat(lastErrors).anyMatch(e -> e.contains("learner catching up"));
        // The stale hint (server 3) answered NOT_LEADER naming server 1, and the call followed it.
        assertThat(kv.calls).containsSubsequence("ChangeMembership ADD_LEARNER 4@3", "ChangeMembership ADD_LEARNER 4@1");
        assertThat(kv.voters.get(1L)).containsExactly(1L, 2L, 3L, 4L);
        assertThat(ClusterMaps.replica(ClusterMaps.group(m, 1).orElseThrow(), 4).orElseThrow().getRole())
                .isEqualTo(ReplicaRole.VOTER);
        assertThat(kv.hosted.get(4L)).containsExactly(1L);
    }

    @Test
    void removingTheLeaderFollowsTheHandOverAndDestroysTheReplica() {
        ClusterMap m = drive(apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        kv.leaderHandsOverOnRemove = true;
        m = apply(m, MetaCommand.removeMember(1, 1, 0));
        m = drive(m, 10);
        Task t = m.getTasksList().get(m.getTasksCount() - 1);
        assertThat(t.getState()).isEqualTo(TaskState.DONE);
        assertThat(kv.calls).containsSubsequence("ChangeMembership REMOVE 1@1", "ChangeMembership REMOVE 1@2",
                "DestroyReplica@1");
        assertThat(kv.voters.get(1L)).containsExactly(2L, 3L);
        assertThat(kv.hosted.get(1L)).isEmpty();
        assertThat(ClusterMaps.voters(ClusterMaps.group(m, 1).orElseThrow())).containsExactly(2L, 3L);
    }

    @Test
    void removingADownServerSkipsItsDestroy() {
        ClusterMap m = drive(apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        m = apply(m, MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        kv.unreachable.add(3L);
        m = apply(m, MetaCommand.removeMember(1, 3, 0));
        m = drive(m, 10);
        assertThat(m.getTasksList().get(m.getTasksCount() - 1).getState()).isEqualTo(TaskState.DONE);
        assertThat(kv.calls).doesNotContain("DestroyReplica@3");
        assertThat(ClusterMaps.voters(ClusterMaps.group(m, 1).orElseThrow())).containsExactly(1L, 2L);
    }

    @Test
    void unreachableLeaderIsRetriedUntilItAnswers() {
        ClusterMap m = servers(3);
        m = apply(m, new BootstrapPlanner(1, 3).plan(m).orElseThrow());
        m = drive(m, 2);
        assertThat(task(m, 1).getState()).isEqualTo(TaskState.DONE);
        // Group 1's leader (server 1) stops answering; the others say NOT_LEADER naming it.
        kv.unreachable.add(1L);
        m = drive(m, 3);
        assertThat(task(m, 2).getState()).isEqualTo(TaskState.PENDING);
        assertThat(task(m, 2).getLastError()).contains("NOT_LEADER");
        // Every server's answer is in the error, the leader that could not be reached first among them.
        assertThat(lastErrors.get(lastErrors.size() - 1)).contains("answers: server 1 unreachable; server 2 NOT_LEADER"
                + " (leader 1); server 3 NOT_LEADER (leader 1)");
        kv.unreachable.clear();
        m = drive(m, 1);
        assertThat(task(m, 2).getState()).isEqualTo(TaskState.DONE);
        assertThat(kv.ownedSlots.get(1L)).hasSize(1024);
    }

    @Test
    void removeGroupDestroysEveryReplica() {
        ClusterMap m = drive(apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L), 0)), 10);
        m = apply(m, MetaCommand.removeGroup(1, 0));
        m = drive(m, 5);
        assertThat(ClusterMaps.group(m, 1)).isEmpty();
        assertThat(kv.hosted.get(1L)).isEmpty();
        assertThat(kv.hosted.get(2L)).isEmpty();
    }

    @Test
    void aTaskWhoseServerLeftTheMapFails() {
        ClusterMap m = servers(2);
        Task orphan = Task.newBuilder().setId(1).setType(io.shardkv.meta.proto.TaskType.ADD_MEMBER).setGroupId(7)
                .setServerId(9).setState(TaskState.PENDING).build();
        StepResult r = stepper.step(orphan, m);
        assertThat(r).isInstanceOf(StepResult.Failed.class);
        assertThat(((StepResult.Failed) r).error()).contains("group 7 is no longer in the map");
    }

    @Test
    void transferLeaderAsksTheLeaderAndCompletesWhenTheTargetLeads() {
        ClusterMap m = drive(apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        assertThat(kv.leaders.get(1L)).isEqualTo(1L);
        hints.put(1L, 2L);
        m = apply(m, MetaCommand.transferLeader(1, 3, 0));
        long id = m.getTasksList().get(m.getTasksCount() - 1).getId();
        m = drive(m, 5);
        assertThat(task(m, id).getState()).isEqualTo(TaskState.DONE);
        assertThat(kv.leaders.get(1L)).isEqualTo(3L);
        // The stale hint (server 2) answered NOT_LEADER naming server 1, which took the request.
        assertThat(kv.calls).containsSubsequence("TransferLeader 3@2", "TransferLeader 3@1", "GroupStatus@3");
    }

    @Test
    void aStalledTransferIsRepeatedAndGivesWayToATaskQueuedBehindIt() {
        ClusterMap m = drive(apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        kv.transfersStall = true;
        m = apply(m, MetaCommand.transferLeader(1, 3, 0));
        long transfer = m.getTasksList().get(m.getTasksCount() - 1).getId();
        m = drive(m, 3);
        assertThat(task(m, transfer).getState()).isEqualTo(TaskState.PENDING);
        assertThat(task(m, transfer).getStep()).isEqualTo(TaskStepper.TRANSFER_REQUESTED);
        assertThat(task(m, transfer).getLastError()).contains("has not taken over");
        assertThat(kv.calls.stream().filter(c -> c.equals("TransferLeader 3@1"))).hasSizeGreaterThan(1);

        m = apply(m, MetaCommand.removeMember(1, 2, 0));
        long removal = m.getTasksList().get(m.getTasksCount() - 1).getId();
        m = drive(m, 10);
        assertThat(task(m, transfer).getState()).isEqualTo(TaskState.FAILED);
        assertThat(task(m, transfer).getLastError()).contains("gave way to task " + removal);
        assertThat(task(m, removal).getState()).isEqualTo(TaskState.DONE);
        assertThat(kv.voters.get(1L)).containsExactly(1L, 3L);
    }

    @Test
    void aTransferToAServerThatWentDownFails() {
        ClusterMap m = drive(apply(servers(3), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        m = apply(m, MetaCommand.transferLeader(1, 3, 0));
        m = apply(m, MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        m = drive(m, 2);
        Task t = m.getTasksList().get(m.getTasksCount() - 1);
        assertThat(t.getState()).isEqualTo(TaskState.FAILED);
        assertThat(t.getLastError()).contains("server 3 is down");
        assertThat(kv.leaders.get(1L)).isEqualTo(1L);
    }

    @Test
    void aRetryThatFailsTheSameWayAgainIsRecordedOnce() {
        ClusterMap m = drive(apply(servers(4), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        kv.promoteRefusals = 100;
        m = apply(m, MetaCommand.addMember(1, 4, 0));
        long id = m.getTasksList().get(m.getTasksCount() - 1).getId();
        m = drive(m, 3);
        String code = task(m, id).getLastErrorCode();
        assertThat(code).as("refused by the leader, with its error code").startsWith("REFUSED@").contains(":");
        long version = m.getConfigVersion();

        m = drive(m, 5);
        assertThat(lastErrors).hasSizeGreaterThan(3);
        assertThat(task(m, id).getLastErrorCode()).isEqualTo(code);
        assertThat(m.getConfigVersion()).as("the same failure does not bump the map").isEqualTo(version);
    }

    @Test
    void anErrorsCodeIsItsKindServerAndKvCodeNotItsNumbers() {
        StepError a = StepError.refused(4, "FAILED_PRECONDITION", "learner catching up: 120 of 5000");
        StepError b = StepError.refused(4, "FAILED_PRECONDITION", "learner catching up: 4810 of 5012");
        assertThat(a.code()).isEqualTo(b.code()).isEqualTo("REFUSED@4:FAILED_PRECONDITION");
        assertThat(StepError.refused(2, "NOT_LEADER", "x").code()).isNotEqualTo(a.code());
        assertThat(StepError.unreachable(4, "deadline").code()).isEqualTo("UNREACHABLE@4");
        assertThat(StepError.waiting(0, "no leader yet").code()).isEqualTo("WAITING");
    }

    @Test
    void aMemberThatGoesDownWhileCatchingUpIsTakenOutAndTheTaskFails() {
        ClusterMap m = drive(apply(servers(4), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)), 10);
        kv.promoteRefusals = 100;
        m = apply(m, MetaCommand.addMember(1, 4, 0));
        long id = m.getTasksList().get(m.getTasksCount() - 1).getId();
        m = drive(m, 3);
        assertThat(task(m, id).getStep()).isEqualTo(TaskStepper.LEARNER_ADDED);
        assertThat(kv.learners.get(1L)).containsExactly(4L);

        m = apply(m, MetaCommand.setServerState(4, ServerState.SERVER_DOWN));
        m = drive(m, 2);
        assertThat(task(m, id).getState()).isEqualTo(TaskState.FAILED);
        assertThat(task(m, id).getLastError()).contains("went down", "its learner was removed");
        assertThat(kv.learners.get(1L)).isEmpty();
        assertThat(ClusterMaps.replica(ClusterMaps.group(m, 1).orElseThrow(), 4)).isEmpty();
    }

    /** Two groups of three on servers 1-3, slots split between them, every task done. */
    private ClusterMap twoGroups() {
        ClusterMap m = servers(3);
        m = apply(m, new BootstrapPlanner(2, 3).plan(m).orElseThrow());
        return drive(m, 50);
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void aSlotMoveGoesThroughEveryPhaseAndCommitsOwnershipOnce() {
        ClusterMap m = twoGroups();
        m = apply(m, MetaCommand.moveSlots(range(0, 10), 2, 0));
        Task move = ClusterMaps.pendingTasks(m).get(0);
        assertThat(move.getGroupId()).isEqualTo(1);
        assertThat(move.getTargetGroupId()).isEqualTo(2);
        assertThat(m.getSlots(5).getState()).isEqualTo(io.shardkv.meta.proto.SlotState.MIGRATING);
        assertThat(m.getSlots(5).getMigrationGroupId()).isEqualTo(2);
        kv.copyingPolls = 2;
        m = drive(m, 30);
        assertThat(task(m, move.getId()).getState()).isEqualTo(TaskState.DONE);
        for (int slot = 0; slot < 10; slot++) {
            assertThat(m.getSlots(slot).getGroupId()).isEqualTo(2);
            assertThat(m.getSlots(slot).getState()).isEqualTo(io.shardkv.meta.proto.SlotState.RUNNING);
            assertThat(m.getSlots(slot).getEpoch()).isEqualTo(1);
        }
        assertThat(m.getSlots(10).getGroupId()).isEqualTo(1);
        assertThat(m.getSlots(10).getEpoch()).isZero();
        // Group 1 is led by server 1 and group 2 by server 2, their first voters.
        assertThat(kv.calls).containsSubsequence("Migration PREPARE_IMPORT g2@2", "Migration BEGIN g1@1",
                "Migration IMPORT_STATUS g2@2", "Migration FREEZE g1@1", "Migration ACTIVATE g2@2",
                "Migration RETIRE g1@1");
        assertThat(kv.ownedSlots.get(2L)).contains(0, 9);
        assertThat(kv.ownedSlots.get(1L)).doesNotContain(0, 9);
    }

    @Test
    void aCancelledMoveIsUndoneOnBothGroupsAndTheSlotsStayWithTheSource() {
        ClusterMap m = twoGroups();
        m = apply(m, MetaCommand.moveSlots(range(0, 10), 2, 0));
        long id = ClusterMaps.pendingTasks(m).get(0).getId();
        kv.copyingPolls = 1_000;
        m = drive(m, 6);
        assertThat(task(m, id).getStep()).isEqualTo("begun");
        m = apply(m, MetaCommand.moveAbort(id, "cancelled by an operator"));
        m = drive(m, 5);
        Task t = task(m, id);
        assertThat(t.getState()).isEqualTo(TaskState.FAILED);
        assertThat(t.getLastError()).contains("aborted: cancelled by an operator");
        assertThat(m.getSlots(3).getState()).isEqualTo(io.shardkv.meta.proto.SlotState.RUNNING);
        assertThat(m.getSlots(3).getGroupId()).isEqualTo(1);
        assertThat(m.getSlots(3).getMigrationGroupId()).isZero();
        assertThat(kv.calls).containsSubsequence("Migration ABORT g2@2", "Migration ABORT g1@1");
        // Nothing pends: the slots can move again.
        assertThat(MapTransitions.apply(m, MetaCommand.moveSlots(range(0, 10), 2, 0)).ok()).isTrue();
    }

    @Test
    void anImportThatCannotGoOnIsAbortedWithItsReason() {
        ClusterMap m = twoGroups();
        m = apply(m, MetaCommand.moveSlots(List.of(700), 1, 0));
        long id = ClusterMaps.pendingTasks(m).get(0).getId();
        kv.importFailure = "the group refuses a key of slot 3";
        m = drive(m, 10);
        assertThat(task(m, id).getState()).isEqualTo(TaskState.FAILED);
        assertThat(task(m, id).getLastError()).contains("the group refuses a key of slot 3");
        assertThat(m.getSlots(700).getGroupId()).isEqualTo(2);
        assertThat(m.getSlots(700).getState()).isEqualTo(io.shardkv.meta.proto.SlotState.RUNNING);
    }

    @Test
    void aFreezeThatOutlastsItsTimeoutIsAbortedNeverCommitted() {
        ClusterMap m = twoGroups();
        m = apply(m, MetaCommand.moveSlots(List.of(1), 2, 0));
        long id = ClusterMaps.pendingTasks(m).get(0).getId();
        kv.targetNeverReady = true;
        kv.copyingPolls = 0;
        while (!task(m, id).getStep().equals("frozen")) {
            m = drive(m, 1);
        }
        clockMillis[0] += MoveSlotsTask.FREEZE_TIMEOUT_MILLIS + 1;
        m = drive(m, 5);
        assertThat(task(m, id).getState()).isEqualTo(TaskState.FAILED);
        assertThat(task(m, id).getLastError()).contains("not ready within");
        assertThat(m.getSlots(1).getGroupId()).isEqualTo(1);
        assertThat(kv.calls).contains("Migration ABORT g1@1");
    }

    @Test
    void removingAGroupThatOwnsSlotsDrainsItByMovesThenDestroysItsReplicas() {
        ClusterMap m = twoGroups();
        m = apply(m, MetaCommand.removeGroup(1, 0));
        long removal = ClusterMaps.pendingTasks(m).get(0).getId();
        kv.copyingPolls = 0;
        m = drive(m, 60);
        assertThat(task(m, removal).getState()).isEqualTo(TaskState.DONE);
        assertThat(ClusterMaps.group(m, 1)).isEmpty();
        assertThat(m.getSlotsList()).allSatisfy(slot -> assertThat(slot.getGroupId()).isEqualTo(2));
        assertThat(m.getTasksList()).filteredOn(t -> t.getType() == io.shardkv.meta.proto.TaskType.MOVE_SLOTS)
                .isNotEmpty().allSatisfy(t -> assertThat(t.getState()).isEqualTo(TaskState.DONE));
        assertThat(kv.calls).contains("DestroyReplica@1");
    }
}

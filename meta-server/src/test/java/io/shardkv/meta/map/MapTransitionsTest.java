package io.shardkv.meta.map;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.map.SlotMoves;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.List;
import org.junit.jupiter.api.Test;

class MapTransitionsTest {

    private static MapTransitions.Outcome apply(ClusterMap map, MetaCommand c) {
        // Every command also survives its own wire encoding.
        return MapTransitions.apply(map, MetaCommand.decode(c.encode()));
    }

    private static ClusterMap ok(ClusterMap map, MetaCommand c) {
        MapTransitions.Outcome o = apply(map, c);
        assertThat(o.result().getError().getCode()).as(o.result().getError().getMessage()).isEqualTo(MetaErrorCode.OK);
        return o.map();
    }

    private static MapTransitions.Outcome refused(ClusterMap map, MetaCommand c, MetaErrorCode code) {
        MapTransitions.Outcome o = apply(map, c);
        assertThat(o.result().getError().getCode()).isEqualTo(code);
        assertThat(o.result().getError().getMessage()).isNotBlank();
        assertThat(o.map()).isSameAs(map);
        return o;
    }

    private static ClusterMap withServers(int n) {
        ClusterMap m = ClusterMaps.initial();
        for (long id = 1; id <= n; id++) {
            m = ok(m, MetaCommand.registerServer(id, "127.0.0.1:" + (9100 + id), "127.0.0.1:" + (9200 + id)));
        }
        return m;
    }

    @Test
    void registeringServersIncreasesTheVersionAndKeepsThemSorted() {
        ClusterMap m = ClusterMaps.initial();
        m = ok(m, MetaCommand.registerServer(2, "h:2", "h:20"));
        m = ok(m, MetaCommand.registerServer(1, "h:1", "h:10"));
        assertThat(m.getConfigVersion()).isEqualTo(2);
        assertThat(m.getServersList()).extracting(s -> s.getId()).containsExactly(1L, 2L);
        assertThat(m.getServers(0).getState()).isEqualTo(ServerState.SERVER_RUNNING);

        ClusterMap same = ok(m, MetaCommand.registerServer(1, "h:1", "h:10"));
        assertThat(same).isSameAs(m);

        ClusterMap moved = ok(m, MetaCommand.registerServer(1, "h:11", "h:10"));
        assertThat(moved.getConfigVersion()).isEqualTo(3);
        assertThat(ClusterMaps.server(moved, 1).orElseThrow().getAddress()).isEqualTo("h:11");

        // A server behind a published port advertises another address for clients.
        ClusterMap advertised = ok(moved, MetaCommand.registerServer(1, "h:11", "h:10", "public:19101"));
        assertThat(advertised.getConfigVersion()).isEqualTo(4);
        assertThat(ClusterMaps.server(advertised, 1).orElseThrow().getClientAddress()).isEqualTo("public:19101");
        assertThat(ok(advertised, MetaCommand.registerServer(1, "h:11", "h:10", "public:19101"))).isSameAs(advertised);
        ClusterMap dropped = ok(advertised, MetaCommand.registerServer(1, "h:11", "h:10"));
        assertThat(ClusterMaps.server(dropped, 1).orElseThrow().getClientAddress()).isEmpty();

        refused(m, MetaCommand.registerServer(0, "h:1", "h:10"), MetaErrorCode.INVALID_ARGUMENT);
        refused(m, MetaCommand.registerServer(3, "", "h:10"), MetaErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void serverStateChangesOnlyWhenDifferent() {
        ClusterMap m = withServers(1);
        ClusterMap down = ok(m, MetaCommand.setServerState(1, ServerState.SERVER_DOWN));
        assertThat(down.getConfigVersion()).isEqualTo(m.getConfigVersion() + 1);
        assertThat(ok(down, MetaCommand.setServerState(1, ServerState.SERVER_DOWN))).isSameAs(down);
        ClusterMap up = ok(down, MetaCommand.setServerState(1, ServerState.SERVER_RUNNING));
        assertThat(ClusterMaps.isRunning(up, 1)).isTrue();
        refused(m, MetaCommand.setServerState(9, ServerState.SERVER_DOWN), MetaErrorCode.NOT_FOUND);
    }

    @Test
    void bootstrapSpreadsAllSlotsEvenlyInContiguousRanges() {
        ClusterMap m = withServers(3);
        ClusterMap b = ok(m, MetaCommand.bootstrap(List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L),
                List.of(1L, 2L, 3L))));
        assertThat(b.getConfigVersion()).isEqualTo(m.getConfigVersion() + 1);
        assertThat(b.getGroupsList()).extracting(ShardGroupInfo::getId).containsExactly(1L, 2L, 3L);
        assertThat(b.getSlotsCount()).isEqualTo(1024);
        int[] counts = new int[4];
        long previous = 1;
        for (SlotInfo s : b.getSlotsList()) {
            assertThat(s.getState()).isEqualTo(SlotState.RUNNING);
            assertThat(s.getGroupId()).isGreaterThanOrEqualTo(previous);
            previous = s.getGroupId();
            counts[(int) s.getGroupId()]++;
        }
        assertThat(counts).containsExactly(0, 342, 341, 341);
        assertThat(b.getSlots(341).getGroupId()).isEqualTo(1);
        assertThat(b.getSlots(342).getGroupId()).isEqualTo(2);

        List<Task> tasks = ClusterMaps.pendingTasks(b);
        assertThat(tasks).extracting(Task::getType).containsExactly(TaskType.CREATE_GROUP, TaskType.CREATE_GROUP,
                TaskType.CREATE_GROUP, TaskType.ASSIGN_SLOTS, TaskType.ASSIGN_SLOTS, TaskType.ASSIGN_SLOTS);
        assertThat(ClusterMaps.pendingTaskOf(b, 2).orElseThrow().getType()).isEqualTo(TaskType.CREATE_GROUP);
        assertThat(tasks.get(3).getSlotsCount()).isEqualTo(342);
        assertThat(tasks.get(0).getServerIdsList()).containsExactly(1L, 2L, 3L);

        refused(b, MetaCommand.bootstrap(List.of(List.of(1L))), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.bootstrap(List.of(List.of(7L))), MetaErrorCode.FAILED_PRECONDITION);
    }

    @Test
    void slotRangesCoverEverySlotForAnyGroupCount() {
        for (int n = 1; n <= 10; n++) {
            int next = 0;
            for (int i = 0; i < n; i++) {
                int[] r = ClusterMaps.slotRange(i, n);
                assertThat(r[0]).isEqualTo(next);
                assertThat(r[1] - r[0]).isBetween(1024 / n, 1024 / n + 1);
                next = r[1];
            }
            assertThat(next).isEqualTo(1024);
        }
    }

    @Test
    void addGroupValidatesServersAndVersion() {
        ClusterMap m = withServers(3);
        MapTransitions.Outcome o = apply(m, MetaCommand.addGroup(List.of(1L, 2L), 0));
        assertThat(o.ok()).isTrue();
        assertThat(o.result().getGroup().getReplicasList()).extracting(r -> r.getRole())
                .containsOnly(ReplicaRole.VOTER);
        Task t = ClusterMaps.task(o.map(), o.result().getTaskId()).orElseThrow();
        assertThat(t.getType()).isEqualTo(TaskType.CREATE_GROUP);
        assertThat(t.getCreatedVersion()).isEqualTo(o.map().getConfigVersion());

        refused(m, MetaCommand.addGroup(List.of(1L, 9L), 0), MetaErrorCode.NOT_FOUND);
        refused(m, MetaCommand.addGroup(List.of(1L, 1L), 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.addGroup(List.of(1L), m.getConfigVersion() - 1), MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap down = ok(m, MetaCommand.setServerState(2, ServerState.SERVER_DOWN));
        refused(down, MetaCommand.addGroup(List.of(1L, 2L), 0), MetaErrorCode.FAILED_PRECONDITION);
        assertThat(ok(m, MetaCommand.addGroup(List.of(1L), m.getConfigVersion())).getGroupsCount()).isEqualTo(1);
    }

    @Test
    void removeGroupRefusesOwnersOfSlotsAndUnknownGroups() {
        ClusterMap m = ok(withServers(3), MetaCommand.bootstrap(List.of(List.of(1L, 2L, 3L))));
        refused(m, MetaCommand.removeGroup(1, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.removeGroup(42, 0), MetaErrorCode.NOT_FOUND);

        MapTransitions.Outcome added = apply(m, MetaCommand.addGroup(List.of(1L, 2L), 0));
        ClusterMap withTwo = finish(added.map(), added.result().getTaskId());
        MapTransitions.Outcome removing = apply(withTwo, MetaCommand.removeGroup(2, 0));
        assertThat(removing.ok()).isTrue();
        assertThat(ClusterMaps.group(removing.map(), 2)).isPresent();
        ClusterMap removed = finish(removing.map(), removing.result().getTaskId());
        assertThat(ClusterMaps.group(removed, 2)).isEmpty();
    }

    private static ClusterMap finish(ClusterMap m, long taskId) {
        return ok(m, MetaCommand.taskComplete(taskId));
    }

    @Test
    void addMemberGoesInAsLearnerAndBecomesVoterWhenDone() {
        ClusterMap m = withServers(4);
        MapTransitions.Outcome g = apply(m, MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        m = finish(g.map(), g.result().getTaskId());

        MapTransitions.Outcome add = apply(m, MetaCommand.addMember(1, 4, 0));
        assertThat(add.ok()).isTrue();
        assertThat(ClusterMaps.replica(add.result().getGroup(), 4).orElseThrow().getRole())
                .isEqualTo(ReplicaRole.LEARNER);
        refused(add.map(), MetaCommand.removeMember(1, 2, 0), MetaErrorCode.FAILED_PRECONDITION);

        ClusterMap stepped = ok(add.map(), MetaCommand.taskProgress(add.result().getTaskId(), "replica-created"));
        assertThat(stepped.getConfigVersion()).isEqualTo(add.map().getConfigVersion() + 1);
        assertThat(ok(stepped, MetaCommand.taskProgress(add.result().getTaskId(), "replica-created")))
                .isSameAs(stepped);

        ClusterMap done = finish(stepped, add.result().getTaskId());
        assertThat(ClusterMaps.replica(ClusterMaps.group(done, 1).orElseThrow(), 4).orElseThrow().getRole())
                .isEqualTo(ReplicaRole.VOTER);
        assertThat(ClusterMaps.task(done, add.result().getTaskId()).orElseThrow().getState()).isEqualTo(TaskState.DONE);
        refused(done, MetaCommand.taskComplete(add.result().getTaskId()), MetaErrorCode.FAILED_PRECONDITION);
        refused(done, MetaCommand.taskComplete(999), MetaErrorCode.NOT_FOUND);
    }

    @Test
    void memberChangesAreValidated() {
        ClusterMap m = withServers(4);
        MapTransitions.Outcome g = apply(m, MetaCommand.addGroup(List.of(1L), 0));
        m = finish(g.map(), g.result().getTaskId());
        refused(m, MetaCommand.addMember(9, 2, 0), MetaErrorCode.NOT_FOUND);
        refused(m, MetaCommand.addMember(1, 9, 0), MetaErrorCode.NOT_FOUND);
        refused(m, MetaCommand.addMember(1, 1, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.removeMember(1, 2, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.removeMember(1, 1, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.addMember(1, 2, m.getConfigVersion() + 5), MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap down = ok(m, MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        MapTransitions.Outcome o = refused(down, MetaCommand.addMember(1, 3, 0), MetaErrorCode.FAILED_PRECONDITION);
        assertThat(o.result().getError().getMessage()).contains("SERVER_DOWN");
    }

    @Test
    void aRemovalThatWouldLeaveNoRunningMajorityIsRefused() {
        ClusterMap m = withServers(3);
        MapTransitions.Outcome g = apply(m, MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        m = finish(g.map(), g.result().getTaskId());
        ClusterMap down = ok(m, MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        MapTransitions.Outcome refused = refused(down, MetaCommand.removeMember(1, 1, 0),
                MetaErrorCode.FAILED_PRECONDITION);
        assertThat(refused.result().getError().getMessage()).contains("no majority");
        // Removing the down voter itself leaves {1, 2}, both running.
        assertThat(apply(down, MetaCommand.removeMember(1, 3, 0)).ok()).isTrue();
    }

    @Test
    void removeMemberDropsTheServerWhenDone() {
        ClusterMap m = withServers(3);
        MapTransitions.Outcome g = apply(m, MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        m = finish(g.map(), g.result().getTaskId());
        MapTransitions.Outcome rm = apply(m, MetaCommand.removeMember(1, 3, 0));
        assertThat(rm.ok()).isTrue();
        assertThat(ClusterMaps.group(rm.map(), 1).orElseThrow().getReplicasCount()).isEqualTo(3);
        ClusterMap done = finish(rm.map(), rm.result().getTaskId());
        assertThat(ClusterMaps.voters(ClusterMaps.group(done, 1).orElseThrow())).containsExactly(1L, 2L);
    }

    @Test
    void leaderTransfersAreValidatedAndDoNotBlockOtherTasks() {
        ClusterMap m = withServers(4);
        MapTransitions.Outcome g = apply(m, MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        m = finish(g.map(), g.result().getTaskId());
        refused(m, MetaCommand.transferLeader(9, 2, 0), MetaErrorCode.NOT_FOUND);
        refused(m, MetaCommand.transferLeader(1, 9, 0), MetaErrorCode.NOT_FOUND);
        refused(m, MetaCommand.transferLeader(1, 4, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.transferLeader(1, 2, m.getConfigVersion() + 1), MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap down = ok(m, MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        refused(down, MetaCommand.transferLeader(1, 3, 0), MetaErrorCode.FAILED_PRECONDITION);

        MapTransitions.Outcome learner = apply(m, MetaCommand.addMember(1, 4, 0));
        MapTransitions.Outcome toLearner = refused(learner.map(), MetaCommand.transferLeader(1, 4, 0),
                MetaErrorCode.FAILED_PRECONDITION);
        assertThat(toLearner.result().getError().getMessage()).contains("not a voter");

        MapTransitions.Outcome transfer = apply(m, MetaCommand.transferLeader(1, 2, m.getConfigVersion()));
        assertThat(transfer.ok()).isTrue();
        Task t = ClusterMaps.task(transfer.map(), transfer.result().getTaskId()).orElseThrow();
        assertThat(t.getType()).isEqualTo(TaskType.TRANSFER_LEADER);
        assertThat(t.getServerId()).isEqualTo(2);
        assertThat(transfer.map().getGroupsList()).isEqualTo(m.getGroupsList());
        // A member change queues behind the short transfer instead of being refused ...
        MapTransitions.Outcome remove = apply(transfer.map(), MetaCommand.removeMember(1, 3, 0));
        assertThat(remove.ok()).isTrue();
        // ... but then the group is busy for anything else.
        refused(remove.map(), MetaCommand.transferLeader(1, 3, 0), MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap done = finish(remove.map(), transfer.result().getTaskId());
        assertThat(done.getGroupsList()).isEqualTo(remove.map().getGroupsList());
    }

    @Test
    void failedAddMemberTakesTheLearnerBackOut() {
        ClusterMap m = withServers(2);
        MapTransitions.Outcome g = apply(m, MetaCommand.addGroup(List.of(1L), 0));
        m = finish(g.map(), g.result().getTaskId());
        MapTransitions.Outcome add = apply(m, MetaCommand.addMember(1, 2, 0));
        ClusterMap failed = ok(add.map(), MetaCommand.taskFail(add.result().getTaskId(), "server gone"));
        Task t = ClusterMaps.task(failed, add.result().getTaskId()).orElseThrow();
        assertThat(t.getState()).isEqualTo(TaskState.FAILED);
        assertThat(t.getLastError()).isEqualTo("server gone");
        assertThat(ClusterMaps.group(failed, 1).orElseThrow().getReplicasCount()).isEqualTo(1);
    }

    @Test
    void onlyTheNewestFinishedTasksAreKept() {
        ClusterMap m = withServers(1);
        for (int i = 0; i < MapTransitions.FINISHED_TASKS_KEPT + 20; i++) {
            MapTransitions.Outcome o = apply(m, MetaCommand.addGroup(List.of(1L), 0));
            m = finish(o.map(), o.result().getTaskId());
        }
        assertThat(m.getTasksCount()).isEqualTo(MapTransitions.FINISHED_TASKS_KEPT);
        assertThat(m.getTasks(0).getId()).isEqualTo(21);
        assertThat(m.getNextTaskId()).isEqualTo(MapTransitions.FINISHED_TASKS_KEPT + 21);
    }

    @Test
    void malformedBytesAreRejected() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetaCommand.decode(new byte[] {99}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown meta command type");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetaCommand.decode(new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static ClusterMap bootstrappedTwoGroups() {
        return ok(withServers(3), MetaCommand.bootstrap(List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L))));
    }

    private static Task lastTask(ClusterMap m) {
        return m.getTasks(m.getTasksCount() - 1);
    }

    @Test
    void aMovePlansOneTaskPerSourceAndMarksItsSlotsMigrating() {
        ClusterMap m = ok(bootstrappedTwoGroups(), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        // Finish the pending tasks so the groups are free for a move.
        for (Task t : ClusterMaps.pendingTasks(m)) {
            m = ok(m, MetaCommand.taskComplete(t.getId()));
        }
        ClusterMap moved = ok(m, MetaCommand.moveSlots(List.of(0, 1, 600, 601), 3, 0));
        List<Task> moves = SlotMoves.moves(moved);
        assertThat(moves).hasSize(2);
        assertThat(moves).extracting(Task::getGroupId).containsExactly(1L, 2L);
        assertThat(moves.get(0).getSlotsList()).containsExactly(0, 1);
        assertThat(moves.get(1).getSlotsList()).containsExactly(600, 601);
        assertThat(moves).allSatisfy(t -> assertThat(t.getTargetGroupId()).isEqualTo(3));
        assertThat(moved.getSlots(600).getState()).isEqualTo(SlotState.MIGRATING);
        assertThat(moved.getSlots(600).getGroupId()).isEqualTo(2);
        assertThat(moved.getSlots(600).getMigrationGroupId()).isEqualTo(3);
        assertThat(moved.getConfigVersion()).isEqualTo(m.getConfigVersion() + 1);

        // The same request again (a retry after a timeout) joins the moves under way and changes nothing.
        assertThat(apply(moved, MetaCommand.moveSlots(List.of(0, 1, 600, 601), 3, 0)).map()).isSameAs(moved);
        assertThat(apply(moved, MetaCommand.moveSlots(List.of(1), 3, 0)).map()).isSameAs(moved);
        assertThat(SlotMoves.pendingMovesOf(moved, List.of(1, 600), 3)).containsExactly(moves.get(0).getId(),
                moves.get(1).getId());
        assertThat(SlotMoves.pendingMovesOf(moved, List.of(1), 3)).containsExactly(moves.get(0).getId());
        assertThat(SlotMoves.pendingMovesOf(moved, List.of(5), 3)).isEmpty();
        // Anywhere else, a moving slot is refused.
        refused(moved, MetaCommand.moveSlots(List.of(1), 2, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(moved, MetaCommand.moveSlots(List.of(1, 5), 3, 0), MetaErrorCode.FAILED_PRECONDITION); // 3 is busy
        refused(moved, MetaCommand.moveSlots(List.of(5), 3, 0), MetaErrorCode.FAILED_PRECONDITION); // 3 is busy
        refused(m, MetaCommand.moveSlots(List.of(5), 9, 0), MetaErrorCode.NOT_FOUND);
        refused(m, MetaCommand.moveSlots(List.of(1024), 3, 0), MetaErrorCode.INVALID_ARGUMENT);
        refused(m, MetaCommand.moveSlots(List.of(4, 4), 3, 0), MetaErrorCode.INVALID_ARGUMENT);
        refused(m, MetaCommand.moveSlots(List.of(), 3, 0), MetaErrorCode.INVALID_ARGUMENT);
        refused(m, MetaCommand.moveSlots(List.of(4), 3, m.getConfigVersion() - 1), MetaErrorCode.FAILED_PRECONDITION);
        // Slots already in the target: nothing to do, nothing changes.
        assertThat(apply(m, MetaCommand.moveSlots(List.of(0, 1), 1, 0)).map()).isSameAs(m);
        // A group receiving slots cannot be removed or get another change meanwhile.
        refused(moved, MetaCommand.removeGroup(3, 0), MetaErrorCode.FAILED_PRECONDITION);
        refused(moved, MetaCommand.addMember(3, 1, 0), MetaErrorCode.FAILED_PRECONDITION);
    }

    @Test
    void aMoveCommitsOnlyWhenReadyAndNeverAfterAnAbort() {
        ClusterMap m = bootstrappedTwoGroups();
        for (Task t : ClusterMaps.pendingTasks(m)) {
            m = ok(m, MetaCommand.taskComplete(t.getId()));
        }
        m = ok(m, MetaCommand.moveSlots(List.of(7), 2, 0));
        long id = lastTask(m).getId();
        refused(m, MetaCommand.moveCommit(id), MetaErrorCode.FAILED_PRECONDITION); // not frozen, not ready
        refused(ok(m, MetaCommand.taskProgress(id, "begun")), MetaCommand.moveCommit(id),
                MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap ready = ok(m, MetaCommand.taskProgress(id, SlotMoves.READY));

        ClusterMap committed = ok(ready, MetaCommand.moveCommit(id));
        assertThat(committed.getSlots(7).getGroupId()).isEqualTo(2);
        assertThat(committed.getSlots(7).getState()).isEqualTo(SlotState.RUNNING);
        assertThat(committed.getSlots(7).getEpoch()).isEqualTo(1);
        assertThat(ClusterMaps.task(committed, id).orElseThrow().getStep()).isEqualTo(SlotMoves.COMMITTED);
        assertThat(apply(committed, MetaCommand.moveCommit(id)).map()).as("a repeated commit").isSameAs(committed);
        refused(committed, MetaCommand.moveAbort(id, "too late"), MetaErrorCode.FAILED_PRECONDITION);

        ClusterMap aborting = ok(ready, MetaCommand.moveAbort(id, "operator"));
        refused(aborting, MetaCommand.moveCommit(id), MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap failed = ok(aborting, MetaCommand.taskFail(id, "aborted: operator"));
        assertThat(failed.getSlots(7).getGroupId()).isEqualTo(1);
        assertThat(failed.getSlots(7).getState()).isEqualTo(SlotState.RUNNING);
        assertThat(failed.getSlots(7).getEpoch()).isZero();
        refused(failed, MetaCommand.moveAbort(id, "again"), MetaErrorCode.FAILED_PRECONDITION);
        refused(m, MetaCommand.moveAbort(1, "not a move"), MetaErrorCode.FAILED_PRECONDITION);
    }

    @Test
    void aGroupOwningSlotsIsRemovedByDrainingUnlessNoOtherGroupCanTakeThem() {
        ClusterMap one = ok(withServers(3), MetaCommand.bootstrap(List.of(List.of(1L, 2L, 3L))));
        for (Task t : ClusterMaps.pendingTasks(one)) {
            one = ok(one, MetaCommand.taskComplete(t.getId()));
        }
        refused(one, MetaCommand.removeGroup(1, 0), MetaErrorCode.FAILED_PRECONDITION);

        ClusterMap two = bootstrappedTwoGroups();
        for (Task t : ClusterMaps.pendingTasks(two)) {
            two = ok(two, MetaCommand.taskComplete(t.getId()));
        }
        ClusterMap removing = ok(two, MetaCommand.removeGroup(1, 0));
        Task removal = lastTask(removing);
        assertThat(removal.getType()).isEqualTo(TaskType.REMOVE_GROUP);
        // It cannot complete while it owns slots; its drain moves are allowed despite the removal pending.
        refused(removing, MetaCommand.taskComplete(removal.getId()), MetaErrorCode.FAILED_PRECONDITION);
        ClusterMap draining = ok(removing, MetaCommand.moveSlots(List.of(0, 1), 2, 0));
        assertThat(ClusterMaps.pendingTaskOf(draining, 1).orElseThrow().getType()).isEqualTo(TaskType.MOVE_SLOTS);
        refused(removing, MetaCommand.moveSlots(List.of(600), 1, 0), MetaErrorCode.FAILED_PRECONDITION);
    }
}

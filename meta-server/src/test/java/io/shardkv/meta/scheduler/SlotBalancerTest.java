package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Balancing plans on maps built by the real transition function. */
class SlotBalancerTest {
    private final SlotBalancer balancer = new SlotBalancer(8);

    private static ClusterMap apply(ClusterMap m, MetaCommand c) {
        MapTransitions.Outcome o = MapTransitions.apply(m, c);
        assertThat(o.ok()).as(o.result().getError().getMessage()).isTrue();
        return o.map();
    }

    private static ClusterMap finishTasks(ClusterMap m) {
        for (Task t : ClusterMaps.pendingTasks(m)) {
            m = apply(m, MetaCommand.taskComplete(t.getId()));
        }
        return m;
    }

    /** A cluster bootstrapped with {@code groups} groups on three servers, every task done. */
    private static ClusterMap cluster(int groups) {
        ClusterMap m = ClusterMaps.initial();
        for (long id = 1; id <= 3; id++) {
            m = apply(m, MetaCommand.registerServer(id, "h:" + id, "h:" + (100 + id)));
        }
        m = apply(m, new BootstrapPlanner(groups, 3).plan(m).orElseThrow());
        return finishTasks(m);
    }

    /** Carries a planned move out as the scheduler would: plan, ready, commit, complete. */
    private static ClusterMap carryOut(ClusterMap m, SlotBalancer.Move move) {
        m = apply(m, move.command(0));
        for (Task t : ClusterMaps.pendingTasks(m)) {
            if (t.getType() == io.shardkv.meta.proto.TaskType.MOVE_SLOTS) {
                m = apply(m, MetaCommand.taskProgress(t.getId(), "ready"));
                m = apply(m, MetaCommand.moveCommit(t.getId()));
                m = apply(m, MetaCommand.taskComplete(t.getId()));
            }
        }
        return m;
    }

    private static int owned(ClusterMap m, long group) {
        return (int) m.getSlotsList().stream().filter(s -> s.getGroupId() == group
                && s.getState() == SlotState.RUNNING).count();
    }

    @Test
    void aNewGroupReceivesAnEvenShareInAFewMovesAndThenNothingMoves() {
        ClusterMap m = finishTasks(apply(cluster(2), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)));
        int moves = 0;
        for (Optional<SlotBalancer.Move> move = balancer.plan(m); move.isPresent(); move = balancer.plan(m)) {
            assertThat(move.get().slots()).isNotEmpty();
            m = carryOut(m, move.get());
            moves++;
            assertThat(moves).as("balancing converges").isLessThan(5);
        }
        assertThat(moves).isEqualTo(2);
        assertThat(List.of(owned(m, 1), owned(m, 2), owned(m, 3))).allSatisfy(n -> assertThat(n).isBetween(341, 342));
    }

    @Test
    void aSpreadWithinTheToleranceMovesNothing() {
        assertThat(balancer.plan(cluster(3))).isEmpty(); // 342/341/341
        assertThat(balancer.plan(cluster(1))).isEmpty(); // one group: nowhere to move
    }

    @Test
    void aMoveTakesTheFullestGroupsHighestSlotsToTheEmptiest() {
        ClusterMap m = finishTasks(apply(cluster(2), MetaCommand.addGroup(List.of(1L, 2L, 3L), 0)));
        SlotBalancer.Move move = balancer.plan(m).orElseThrow();
        assertThat(move.from()).isEqualTo(1);
        assertThat(move.to()).isEqualTo(3);
        assertThat(move.slots()).hasSize(171).endsWith(511).startsWith(341);
    }

    @Test
    void aGroupBeingRemovedDrainsToTheOthersAndTakesNoSlots() {
        ClusterMap m = cluster(3);
        m = apply(m, MetaCommand.removeGroup(1, 0));
        SlotBalancer.Move first = SlotBalancer.drain(m, 1).orElseThrow();
        assertThat(first.to()).isIn(2L, 3L);
        assertThat(first.slots()).hasSize(171);
        m = carryOut(m, first);
        SlotBalancer.Move second = SlotBalancer.drain(m, 1).orElseThrow();
        assertThat(second.to()).isNotEqualTo(first.to());
        m = carryOut(m, second);
        assertThat(owned(m, 1)).isZero();
        assertThat(SlotBalancer.drain(m, 1)).isEmpty();
        // While group 1 is being removed, balancing leaves it out.
        balancer.plan(m).ifPresent(move -> assertThat(move.to()).isNotEqualTo(1));
        assertThat(MapTransitions.apply(m, MetaCommand.moveSlots(List.of(600), 1, 0)).ok()).isFalse();
    }
}

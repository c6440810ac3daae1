package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.liveness.LeaderHints;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.Task;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LeaderBalancerTest {
    private final LeaderBalancer balancer = new LeaderBalancer();
    private final Map<Long, Long> leaders = new HashMap<>();
    private final LeaderHints hints = g -> leaders.getOrDefault(g, 0L);

    private static ClusterMap apply(ClusterMap m, MetaCommand c) {
        MapTransitions.Outcome o = MapTransitions.apply(m, c);
        assertThat(o.ok()).as(o.result().getError().getMessage()).isTrue();
        return o.map();
    }

    /** Registered servers 1..n and the given groups (voters), with every task finished. */
    private static ClusterMap cluster(int servers, List<List<Long>> groups) {
        ClusterMap m = ClusterMaps.initial();
        for (long id = 1; id <= servers; id++) {
            m = apply(m, MetaCommand.registerServer(id, "h:" + id, "h:" + (100 + id)));
        }
        for (List<Long> voters : groups) {
            m = apply(m, MetaCommand.addGroup(voters, 0));
        }
        for (Task t : ClusterMaps.pendingTasks(m)) {
            m = apply(m, MetaCommand.taskComplete(t.getId()));
        }
        return m;
    }

    /** Plans and carries out moves until none is proposed; returns how many there were. */
    private int settle(ClusterMap m) {
        int moves = 0;
        for (Optional<LeaderBalancer.Move> move = balancer.plan(m, hints, (g, id) -> true); move.isPresent();
             move = balancer.plan(m, hints, (g, id) -> true)) {
            LeaderBalancer.Move mv = move.get();
            assertThat(leaders.get(mv.groupId())).isEqualTo(mv.from());
            assertThat(ClusterMaps.voters(ClusterMaps.group(m, mv.groupId()).orElseThrow())).contains(mv.to());
            leaders.put(mv.groupId(), mv.to());
            moves++;
            assertThat(moves).as("balancing settles").isLessThan(20);
        }
        return moves;
    }

    @Test
    void threeGroupsLedByOneServerSpreadOverAllThree() {
        ClusterMap m = cluster(3, List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L), List.of(1L, 2L, 3L)));
        leaders.putAll(Map.of(1L, 1L, 2L, 1L, 3L, 1L));
        assertThat(LeaderBalancer.imbalance(m, hints)).isEqualTo(3);
        assertThat(balancer.plan(m, hints, (g, id) -> true)).contains(new LeaderBalancer.Move(1, 1, 2));
        assertThat(settle(m)).isEqualTo(2);
        assertThat(leaders.values()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(LeaderBalancer.imbalance(m, hints)).isZero();
    }

    @Test
    void movesOnlyToVotersOfTheGroupAndSettlesWithinOne() {
        // Server 4 holds a voter of group 3 only; servers 1..3 share groups 1, 2, 4, 5.
        ClusterMap m = cluster(4, List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L), List.of(2L, 3L, 4L),
                List.of(1L, 2L, 3L), List.of(1L, 2L, 3L)));
        leaders.putAll(Map.of(1L, 1L, 2L, 1L, 3L, 2L, 4L, 1L, 5L, 1L));
        settle(m);
        assertThat(LeaderBalancer.imbalance(m, hints)).isLessThanOrEqualTo(1);
        assertThat(leaders.get(3L)).isIn(2L, 3L, 4L);
    }

    @Test
    void aBalancedClusterAndServersWithoutVotersNeedNoMove() {
        ClusterMap m = cluster(4, List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L), List.of(1L, 2L, 3L),
                List.of(1L, 2L, 3L)));
        leaders.putAll(Map.of(1L, 1L, 2L, 2L, 3L, 3L, 4L, 1L));
        assertThat(balancer.plan(m, hints, (g, id) -> true)).as("a difference of one is as even as it gets").isEmpty();
        // Server 4 hosts no voter: it cannot lead anything, so it does not count as idle.
        assertThat(LeaderBalancer.imbalance(m, hints)).isEqualTo(1);
        leaders.put(3L, 1L);
        assertThat(LeaderBalancer.imbalance(m, hints)).isEqualTo(3);
        assertThat(balancer.plan(m, hints, (g, id) -> true)).contains(new LeaderBalancer.Move(1, 1, 3));
    }

    @Test
    void nothingMovesWhileThePictureIsUnsure() {
        ClusterMap m = cluster(3, List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L), List.of(1L, 2L, 3L)));
        leaders.putAll(Map.of(1L, 1L, 2L, 1L));
        assertThat(balancer.plan(m, hints, (g, id) -> true)).as("group 3's leader is unknown").isEmpty();
        leaders.put(3L, 1L);
        assertThat(balancer.plan(m, hints, (g, id) -> true)).isPresent();

        ClusterMap down = apply(m, MetaCommand.setServerState(1, ServerState.SERVER_DOWN));
        assertThat(balancer.plan(down, hints, (g, id) -> true)).as("the hinted leader is down").isEmpty();
        ClusterMap busy = apply(m, MetaCommand.removeMember(2, 3, 0));
        assertThat(balancer.plan(busy, hints, (g, id) -> true)).as("a task is pending").isEmpty();
        leaders.put(3L, 9L);
        assertThat(balancer.plan(m, hints, (g, id) -> true)).as("the hint names a non-member").isEmpty();
    }

    @Test
    void aServerNotReadyToLeadIsNotATarget() {
        ClusterMap m = cluster(3, List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L), List.of(1L, 2L, 3L)));
        leaders.putAll(Map.of(1L, 1L, 2L, 1L, 3L, 1L));
        assertThat(balancer.plan(m, hints, (g, id) -> id != 2)).contains(new LeaderBalancer.Move(1, 1, 3));
        assertThat(balancer.plan(m, hints, (g, id) -> id == 1)).isEmpty();
        // Server 2 lags in group 1 only: group 2 moves to it instead.
        assertThat(balancer.plan(m, hints, (g, id) -> !(g == 1 && id == 2))).contains(new LeaderBalancer.Move(1, 1, 3));
        assertThat(balancer.plan(m, hints, (g, id) -> !(g == 1 && id == 2) && id != 3))
                .contains(new LeaderBalancer.Move(2, 1, 2));
    }

    @Test
    void aDownServerIsNeitherSourceNorTarget() {
        ClusterMap m = cluster(3, List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L), List.of(1L, 2L, 3L),
                List.of(1L, 2L, 3L)));
        m = apply(m, MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        leaders.putAll(Map.of(1L, 1L, 2L, 1L, 3L, 1L, 4L, 1L));
        settle(m);
        assertThat(leaders.values()).doesNotContain(3L);
        assertThat(leaders.values().stream().filter(l -> l == 1L)).hasSize(2);
    }
}

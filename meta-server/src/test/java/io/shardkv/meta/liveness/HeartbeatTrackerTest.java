package io.shardkv.meta.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.ShardGroupInfo;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeartbeatTrackerTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final HeartbeatTracker tracker = new HeartbeatTracker(clock::get);

    private void report(long server, long group, long leader, long term) {
        tracker.record(HeartbeatRequest.newBuilder().setServerId(server).addGroups(GroupReport.newBuilder()
                .setGroupId(group).setLeaderId(leader).setTerm(term)).build());
    }

    private static ClusterMap mapWithGroups(long... ids) {
        ClusterMap.Builder b = ClusterMap.newBuilder().setNextGroupId(3);
        for (long id : ids) {
            b.addGroups(ShardGroupInfo.newBuilder().setId(id));
        }
        return b.build();
    }

    @Test
    void theHighestTermNamesTheLeaderAndAStaleReportDoesNotWin() {
        report(1, 7, 1, 3);
        report(2, 7, 2, 4);
        report(3, 7, 1, 3);
        assertThat(tracker.leaderOf(7)).isEqualTo(2);
        report(1, 7, 3, 4);
        assertThat(tracker.leaderOf(7)).as("an equal term is the newer view").isEqualTo(3);
        assertThat(tracker.leaderOf(8)).isZero();
    }

    @Test
    void hintsOfGroupsNoLongerInTheMapAreLeftOutAndForgotten() {
        report(1, 1, 1, 2);
        report(1, 2, 1, 2);
        report(1, 5, 1, 2);
        ClusterMap onlyGroup1 = mapWithGroups(1);
        assertThat(tracker.leaders(onlyGroup1)).extracting(GroupLeader::getGroupId).containsExactly(1L);
        assertThat(tracker.leaders(mapWithGroups(1, 2))).hasSize(2);
        tracker.forgetRemovedGroups(onlyGroup1);
        assertThat(tracker.leaderOf(2)).isZero();
        assertThat(tracker.leaderOf(1)).isEqualTo(1);
        assertThat(tracker.leaderOf(5)).as("a group the map has not created yet").isEqualTo(1);
    }

    @Test
    void heartbeatAgeAndSilenceFollowTheClock() {
        assertThat(tracker.heartbeatAgeMillis(5)).isEqualTo(-1);
        clock.addAndGet(500);
        tracker.record(HeartbeatRequest.newBuilder().setServerId(5).build());
        clock.addAndGet(200);
        assertThat(tracker.heartbeatAgeMillis(5)).isEqualTo(200);
        assertThat(tracker.silenceMillis(5)).isEqualTo(200);
        tracker.becameLeader();
        clock.addAndGet(100);
        assertThat(tracker.heartbeatAgeMillis(5)).isEqualTo(300);
        assertThat(tracker.silenceMillis(5)).as("silence counts from the new leadership").isEqualTo(100);
    }
}

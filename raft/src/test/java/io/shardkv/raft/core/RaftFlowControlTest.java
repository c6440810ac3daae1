package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Flow control: the inflight window, message size, the uncommitted-bytes bound and typed drops. */
class RaftFlowControlTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    private static String bytes(int n, char ch) {
        return String.valueOf(ch).repeat(n);
    }

    private static List<Message> appendsWithEntries(TestCluster c, long to) {
        return c.sent(m -> m.type() == MessageType.APPEND && m.to() == to && !m.entries().isEmpty());
    }

    @Test
    @DisplayName("DESIGN 2.1 flow control: at most maxInflightMsgs unacknowledged appends per follower")
    void inflightWindowBoundedByCount() {
        // One entry per message, a window of three messages.
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withLimits(1, 3, 64L << 20, 256L << 20)).build();
        c.elect(1);
        c.stabilize();
        c.isolate(2);
        c.clearSent();
        List<String> data = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            data.add("p" + i);
            assertThat(c.propose(1, "p" + i).isAccepted()).isTrue();
            c.stabilize();
        }

        assertThat(appendsWithEntries(c, 2)).as("follower 2 is silent: the window fills and stops").hasSize(3);
        RaftStatus.ReplicaStatus r2 = c.node(1).status().replicas().get(2L);
        assertThat(r2.inflightMsgs()).isEqualTo(3);
        assertThat(r2.paused()).isTrue();
        assertThat(appendsWithEntries(c, 3)).as("follower 3 acks and gets everything").hasSize(10);
        assertThat(c.data(3)).isEqualTo(data);

        c.rejoin(2);
        c.tickUntil(() -> c.data(2).equals(data), 4 * E, "follower 2 catches up");
    }

    @Test
    @DisplayName("DESIGN 2.1 flow control: the window is also bounded by bytes, admitting one message past the bound")
    void inflightWindowBoundedByBytes() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withLimits(1, 100, 100, 256L << 20)).build();
        c.elect(1);
        c.stabilize();
        c.isolate(2);
        c.clearSent();
        for (int i = 0; i < 6; i++) {
            c.propose(1, bytes(40, (char) ('a' + i)));
            c.stabilize();
        }
        // 40, 80, then 120 >= 100: the third message fills the window.
        assertThat(appendsWithEntries(c, 2)).hasSize(3);
        RaftStatus.ReplicaStatus r2 = c.node(1).status().replicas().get(2L);
        assertThat(r2.inflightBytes()).isEqualTo(120);
        assertThat(r2.paused()).isTrue();
    }

    @Test
    @DisplayName("DESIGN 2.1 flow control: appends are split at maxSizePerMsgBytes, but an oversized entry still goes alone")
    void maxMessageSizeSplitsAppends() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withLimits(100, 128, 64L << 20, 256L << 20)).build();
        c.elect(1);
        c.stabilize();
        c.isolate(2);
        List<String> data = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            data.add(bytes(30, (char) ('a' + i)));
            c.propose(1, data.get(i));
        }
        data.add(bytes(250, 'z'));
        c.propose(1, data.get(7));
        c.stabilize();
        c.rejoin(2);
        c.clearSent();
        c.tickUntil(() -> c.data(2).equals(data), 3 * E, "follower 2 catches up");

        List<Message> appends = appendsWithEntries(c, 2);
        assertThat(appends).allSatisfy(m -> assertThat(m.payloadBytes() <= 100 || m.entries().size() == 1)
                .as("%s carries %d bytes", m, m.payloadBytes()).isTrue());
        assertThat(appends).anySatisfy(m -> assertThat(m.entries()).hasSize(3));
        assertThat(appends).anySatisfy(m -> assertThat(m.payloadBytes()).isEqualTo(250));
    }

    @Test
    @DisplayName("DESIGN 2.1 flow control: proposals beyond maxUncommittedBytes are dropped with UNCOMMITTED_LIMIT until the tail commits")
    void uncommittedBytesBound() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withLimits(1 << 20, 128, 64L << 20, 100)).build();
        c.elect(1);
        c.stabilize();
        c.isolate(2);
        c.isolate(3);
        assertThat(c.propose(1, bytes(60, 'a')).isAccepted()).isTrue();
        long last = c.raft(1).log.lastIndex();
        assertThat(c.propose(1, bytes(60, 'b'))).isInstanceOfSatisfying(ProposeResult.Dropped.class, d -> {
            assertThat(d.reason()).isEqualTo(DropReason.UNCOMMITTED_LIMIT);
            assertThat(d.leaderHint()).isEqualTo(1);
        });
        assertThat(c.raft(1).log.lastIndex()).as("a dropped proposal is not appended").isEqualTo(last);
        assertThat(c.propose(1, bytes(40, 'c')).isAccepted()).as("still fits: 100 bytes").isTrue();
        assertThat(c.propose(1, bytes(1, 'd')).isAccepted()).isFalse();

        c.heal();
        c.tickUntil(() -> c.data(1).size() == 2, 3 * E, "the tail commits and is applied");
        assertThat(c.propose(1, bytes(60, 'e')).isAccepted()).as("room again").isTrue();
        c.stabilize();
        assertThat(c.data(2)).containsExactly(bytes(60, 'a'), bytes(40, 'c'), bytes(60, 'e'));
    }

    @Test
    @DisplayName("DESIGN 2.1 flow control: an empty uncommitted tail admits one entry even above the bound")
    void oversizedEntryAdmittedOnEmptyTail() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withLimits(1 << 20, 128, 64L << 20, 100)).build();
        c.elect(1);
        c.stabilize();
        assertThat(c.propose(1, bytes(500, 'x')).isAccepted()).isTrue();
        assertThat(c.propose(1, bytes(1, 'y')).isAccepted()).isFalse();
        c.stabilize();
        assertThat(c.data(3)).containsExactly(bytes(500, 'x'));
        assertThat(c.propose(1, bytes(1, 'y')).isAccepted()).isTrue();
    }

    @Test
    @DisplayName("DESIGN 2.1 typed drops: a follower refuses with NOT_LEADER and names the leader")
    void notLeaderWithHint() {
        TestCluster c = TestCluster.of(3);
        c.elect(2);
        c.stabilize();
        assertThat(c.propose(1, "x")).isEqualTo(new ProposeResult.Dropped(DropReason.NOT_LEADER, 2, ""));
        assertThat(c.raft(1).log.lastIndex()).isEqualTo(c.raft(2).log.lastIndex());
    }

    @Test
    @DisplayName("DESIGN 2.1 typed drops: with no known leader proposals, reads and transfers get NO_LEADER")
    void noLeader() {
        TestCluster c = TestCluster.of(3);
        ProposeResult.Dropped expected = new ProposeResult.Dropped(DropReason.NO_LEADER, RawNode.NONE, "");
        assertThat(c.propose(1, "x")).isEqualTo(expected);
        assertThat(c.node(1).readIndex(1, ReadMode.SAFE)).isEqualTo(expected);
        assertThat(c.node(1).transferLeader(2)).isEqualTo(expected);
        // A candidate knows no leader either.
        c.isolate(1);
        c.campaign(1);
        assertThat(c.raft(1).role()).isEqualTo(Role.CANDIDATE);
        assertThat(c.propose(1, "x")).isEqualTo(expected);
        c.processReadies();
        assertThat(c.peer(1).storage.lastIndex()).isZero();
    }
}

package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.storage.MemoryLogStorage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The contract between the core and its owner, as documented on {@link Ready} and {@link RawNode}. */
class ReadyContractTest {

    private static RawNode single() {
        MemoryLogStorage storage = MemoryLogStorage.withMembership(ConfState.ofVoters(1L));
        return new RawNode(TestCluster.baseConfig(1), storage, RandomSource.seeded(1));
    }

    /** A single-node group that elected itself and whose first Readys were handled. */
    private static TestCluster singleLeader() {
        TestCluster c = TestCluster.of(1);
        c.tickUntil(() -> c.leaderId() == 1, 3 * TestCluster.ELECTION_TICKS, "self-election");
        return c;
    }

    @Test
    @DisplayName("Ready: a second ready() before advance() is a bug")
    void readyTwiceWithoutAdvanceThrows() {
        TestCluster c = singleLeader();
        c.peer(1).manualReady = true;
        RawNode node = c.node(1);
        node.propose("x".getBytes(StandardCharsets.UTF_8));
        assertThat(node.hasReady()).isTrue();
        Ready rd = node.ready();
        assertThat(node.hasReady()).as("nothing new while one Ready is outstanding").isFalse();
        assertThatThrownBy(node::ready).isInstanceOf(IllegalStateException.class).hasMessageContaining("not advanced");
        c.handleReady(c.peer(1), rd);
        assertThat(c.data(1)).containsExactly("x");
    }

    @Test
    @DisplayName("Ready: advance() with anything but the outstanding Ready is a bug")
    void advanceWithForeignReadyThrows() {
        TestCluster c = singleLeader();
        RawNode node = c.node(1);
        node.propose("x".getBytes(StandardCharsets.UTF_8));
        Ready rd = node.ready();
        Ready copy = new Ready(rd.softState(), rd.hardState(), rd.entries(), rd.snapshot(), rd.messages(),
                rd.committedEntries(), rd.readStates());
        assertThatThrownBy(() -> node.advance(copy)).isInstanceOf(IllegalStateException.class);
        node.advance(rd);
        assertThatThrownBy(() -> node.advance(rd)).as("advancing twice").isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("Ready: committed entries are handed out once; after advance() they are not delivered again")
    void committedEntriesNotRedelivered() {
        TestCluster c = singleLeader();
        c.peer(1).manualReady = true;
        RawNode node = c.node(1);
        node.propose("a".getBytes(StandardCharsets.UTF_8));
        Ready first = node.ready();
        assertThat(first.entries()).extracting(Entry::index).containsExactly(2L);
        assertThat(first.committedEntries()).as("a single voter commits at once").extracting(Entry::index)
                .containsExactly(2L);
        c.handleReady(c.peer(1), first);
        assertThat(node.hasReady()).isFalse();

        node.propose("b".getBytes(StandardCharsets.UTF_8));
        Ready second = node.ready();
        assertThat(second.entries()).extracting(Entry::index).containsExactly(3L);
        assertThat(second.committedEntries()).extracting(Entry::index).containsExactly(3L);
        c.handleReady(c.peer(1), second);
        assertThat(c.data(1)).containsExactly("a", "b");
    }

    @Test
    @DisplayName("Ready: hard state appears only when term, vote or commit changed")
    void hardStateOnlyWhenChanged() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        c.peer(2).readies.clear();
        // A heartbeat that changes nothing on the follower.
        c.tickAndStabilize(TestCluster.HEARTBEAT_TICKS);
        assertThat(c.peer(2).readies).isNotEmpty().allSatisfy(rd -> {
            assertThat(rd.hardState()).isNull();
            assertThat(rd.softState()).isNull();
            assertThat(rd.mustSync()).isFalse();
        });

        c.peer(2).readies.clear();
        c.propose(1, "x");
        c.stabilize();
        assertThat(c.peer(2).readies).anySatisfy(rd -> assertThat(rd.hardState()).isNotNull());
        assertThat(c.peer(2).readies.stream().filter(rd -> rd.hardState() != null).map(Ready::hardState).distinct())
                .as("each hard state once").doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("Ready: a vote is granted in the same Ready that carries the hard state recording it")
    void voteResponseTravelsWithItsHardState() {
        TestCluster c = TestCluster.of(3);
        c.peer(2).manualReady = true;
        c.campaign(1);
        c.processReadies();
        c.deliverOnly(m -> m.to() == 2);
        Ready rd = c.node(2).ready();
        assertThat(rd.messages()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.VOTE_RESPONSE);
            assertThat(m.reject()).isFalse();
        });
        assertThat(rd.messagesBeforePersist()).as("a vote waits for the write").isEmpty();
        assertThat(rd.hardState()).isEqualTo(new HardState(1, 1, 0));
        assertThat(rd.mustSync()).isTrue();
        assertThat(c.peer(2).storage.hardState()).as("not persisted before the owner handles the Ready")
                .isEqualTo(HardState.EMPTY);
        c.handleReady(c.peer(2), rd);
        assertThat(c.peer(2).storage.hardState().vote()).isEqualTo(1);
    }

    @Test
    @DisplayName("Ready: an append is acknowledged in the same Ready that carries the appended entries")
    void appendResponseTravelsWithItsEntries() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        c.peer(2).manualReady = true;
        c.propose(1, "x");
        c.processReadies();
        c.deliverOnly(m -> m.to() == 2);
        Ready rd = c.node(2).ready();
        Message ack = rd.messages().stream().filter(m -> m.type() == MessageType.APPEND_RESPONSE).findFirst()
                .orElseThrow();
        assertThat(rd.entries()).isNotEmpty();
        assertThat(rd.messagesAfterPersist()).as("an acknowledgement waits for the write").contains(ack);
        assertThat(rd.entries().get(rd.entries().size() - 1).index()).isEqualTo(ack.index());
        assertThat(c.peer(2).storage.lastIndex()).isLessThan(ack.index());
        c.handleReady(c.peer(2), rd);
        assertThat(c.peer(2).storage.lastIndex()).isEqualTo(ack.index());
    }

    @Test
    @DisplayName("Ready: a leader's appends of new entries may leave before its own write of them")
    void leaderAppendsLeaveBeforeTheWrite() {
        TestCluster c = TestCluster.of(3);
        Ready rd = proposalHeldAtLeader(c, "x");
        long index = rd.entries().get(0).index();
        assertThat(rd.messagesBeforePersist()).hasSize(2).allSatisfy(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND);
            assertThat(m.entries()).extracting(Entry::index).contains(index);
            assertThat(m.commit()).as("a commit index durable here").isLessThan(index);
        });
        assertThat(rd.messagesAfterPersist()).isEmpty();
        assertThat(rd.committedEntries()).as("not committed by the leader's copy alone").isEmpty();
        releaseAndStabilize(c, rd);
        assertThat(c.data(2)).containsExactly("x");
    }

    @Test
    @DisplayName("Ready: with one voter an entry commits at once, and the learner hears of it only after the write")
    void commitPastTheDurableLogWaitsForTheWrite() {
        TestCluster c = TestCluster.builder(1).learners(2).build();
        Ready rd = proposalHeldAtLeader(c, "x");
        long index = rd.entries().get(0).index();
        assertThat(rd.committedEntries()).extracting(Entry::index).contains(index);
        assertThat(rd.messagesBeforePersist()).as("nothing telling of a commit the disk does not hold").isEmpty();
        assertThat(rd.messagesAfterPersist()).anySatisfy(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND);
            assertThat(m.to()).isEqualTo(2);
            assertThat(m.commit()).isEqualTo(index);
        });
        releaseAndStabilize(c, rd);
        assertThat(c.data(2)).containsExactly("x");
    }

    /** Elects node 1, proposes {@code data} there and returns the Ready holding it, not yet handled. */
    private static Ready proposalHeldAtLeader(TestCluster c, String data) {
        c.elect(1);
        c.stabilize();
        c.peer(1).manualReady = true;
        c.propose(1, data);
        return c.node(1).ready();
    }

    /** Handles the held Ready as the owner loop would, then lets the group run until quiet. */
    private static void releaseAndStabilize(TestCluster c, Ready rd) {
        c.handleReady(c.peer(1), rd);
        c.peer(1).manualReady = false;
        c.stabilize();
    }

    @Test
    @DisplayName("Ready: a leader of a term not yet durable sends nothing before the write")
    void newTermWaitsForTheWrite() {
        TestCluster c = TestCluster.builder(1).learners(2).build();
        c.peer(1).manualReady = true;
        c.campaign(1);
        Ready rd = c.node(1).ready();
        assertThat(rd.softState()).isEqualTo(new SoftState(1, Role.LEADER));
        assertThat(rd.hardState().term()).isGreaterThan(c.peer(1).storage.hardState().term());
        assertThat(rd.messages()).as("the new leader's first append to the learner")
                .anySatisfy(m -> assertThat(m.type()).isEqualTo(MessageType.APPEND));
        assertThat(rd.messagesBeforePersist()).isEmpty();
        c.handleReady(c.peer(1), rd);
    }

    @Test
    @DisplayName("Ready: soft state is reported only when the leader or role changes")
    void softStateOnlyOnChange() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        List<SoftState> softStates = c.peer(1).readies.stream().map(Ready::softState)
                .filter(java.util.Objects::nonNull).toList();
        assertThat(softStates).containsExactly(new SoftState(RawNode.NONE, Role.CANDIDATE),
                new SoftState(1, Role.LEADER));
        assertThat(c.peer(2).readies.stream().map(Ready::softState).filter(java.util.Objects::nonNull))
                .containsExactly(new SoftState(1, Role.FOLLOWER));
    }

    @Test
    @DisplayName("Ready: a pending snapshot holds back committed entries until it is installed")
    void snapshotBeforeCommittedEntries() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.isolate(3);
        c.propose(1, "a");
        c.stabilize();
        c.snapshotAndCompact(1);
        c.heal();
        c.peer(3).holdIf = rd -> rd.snapshot() != null;
        c.tickUntil(() -> c.peer(3).held != null, 30, "snapshot arrives");
        Ready rd = c.peer(3).held;
        assertThat(rd.snapshot().index()).isEqualTo(c.peer(1).storage.latestSnapshot().index());
        assertThat(c.raft(3).log.committed()).as("committed covers the snapshot").isEqualTo(rd.snapshot().index());
        assertThat(rd.committedEntries()).isEmpty();
        assertThat(rd.mustSync()).isTrue();
        c.handleReady(c.peer(3), rd);
        assertThat(c.data(3)).containsExactly("a");
        assertThat(c.node(3).hasReady()).isFalse();
    }

    @Test
    @DisplayName("Ready: a fresh node has nothing to do until something happens")
    void freshNodeHasNoReady() {
        RawNode node = single();
        assertThat(node.hasReady()).isFalse();
        node.tick();
        assertThat(node.hasReady()).isFalse();
    }

    @Test
    @DisplayName("RawNode: a message addressed to another node is rejected")
    void misaddressedMessageRejected() {
        RawNode node = single();
        assertThatThrownBy(() -> node.step(Message.builder(MessageType.HEARTBEAT).from(2).to(3).term(1).build()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("RawNode: read request id 0 is reserved")
    void readRequestIdZeroRejected() {
        RawNode node = single();
        assertThatThrownBy(() -> node.readIndex(0, ReadMode.SAFE)).isInstanceOf(IllegalArgumentException.class);
    }
}

package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A replica added to a running group starts with an empty log and must be caught up. */
class AddReplicaTest {

    private final Map<Long, RawNode> nodes = new TreeMap<>();
    private final Map<Long, MemoryLogStorage> disks = new TreeMap<>();
    private final Deque<Message> network = new ArrayDeque<>();

    private void add(long id, MemoryLogStorage disk) {
        disks.put(id, disk);
        nodes.put(id, new RawNode(RaftConfig.defaults(id).withFeatures(false, false, false), disk,
                RandomSource.seeded(id)));
    }

    /** Processes every Ready and delivers every message until the group is quiet. */
    private void settle() {
        for (int round = 0; round < 1000; round++) {
            for (Map.Entry<Long, RawNode> e : nodes.entrySet()) {
                RawNode node = e.getValue();
                MemoryLogStorage disk = disks.get(e.getKey());
                while (node.hasReady()) {
                    Ready rd = node.ready();
                    if (rd.snapshot() != null) {
                        disk.applySnapshot(rd.snapshot());
                    }
                    disk.append(rd.entries());
                    if (rd.hardState() != null) {
                        disk.setHardState(rd.hardState());
                    }
                    network.addAll(rd.messages());
                    node.advance(rd);
                }
            }
            if (network.isEmpty()) {
                return;
            }
            while (!network.isEmpty()) {
                Message m = network.poll();
                nodes.get(m.to()).step(m);
            }
        }
        throw new AssertionError("group did not settle");
    }

    /**
     * Found by the simulation (seed 8252545385105775876): the initial membership lived in a
     * snapshot at index 0, so the leader shipped a new replica the log from index 1 instead of a
     * snapshot, and the replica applied the log's membership changes to an empty membership.
     */
    @Test
    void replicaAddedWithEmptyLogLearnsTheMembershipBeforeApplyingChanges() {
        add(1, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L)));
        RawNode leader = nodes.get(1L);
        for (int i = 0; i < 20 && leader.status().role() != Role.LEADER; i++) {
            leader.tick();
        }
        settle();
        add(2, new MemoryLogStorage());
        assertThat(leader.proposeConfChange(ConfChange.of(ConfChangeSingle.addLearner(2))).isAccepted()).isTrue();
        settle();
        add(3, new MemoryLogStorage());
        assertThat(leader.proposeConfChange(ConfChange.of(ConfChangeSingle.addLearner(3))).isAccepted()).isTrue();
        settle();
        leader.tick();
        leader.tick();
        settle();

        ConfState expected = new ConfState(Set.of(1L), Set.of(), Set.of(2L, 3L), false);
        assertThat(leader.confState()).isEqualTo(expected);
        assertThat(nodes.get(2L).confState()).isEqualTo(expected);
        assertThat(nodes.get(3L).confState()).isEqualTo(expected);
        assertThat(nodes.get(3L).status().commit()).isEqualTo(leader.status().commit());
    }
}

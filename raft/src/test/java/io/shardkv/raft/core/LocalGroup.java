package io.shardkv.raft.core;

import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A few replicas wired by a perfect in-memory network, for focused tests: {@link #settle()}
 * runs every owner loop and delivers every message until nothing moves.
 */
final class LocalGroup {
    final Map<Long, RawNode> nodes = new TreeMap<>();
    final Map<Long, MemoryLogStorage> disks = new TreeMap<>();
    private final Deque<Message> network = new ArrayDeque<>();
    /** Messages for which this answers true are lost. */
    private java.util.function.Predicate<Message> loss = m -> false;

    void setLoss(java.util.function.Predicate<Message> loss) {
        this.loss = loss;
    }

    RawNode add(long id, MemoryLogStorage disk) {
        return add(id, disk, c -> c);
    }

    /** A replica whose settings are the defaults changed by {@code tweak}. */
    RawNode add(long id, MemoryLogStorage disk, java.util.function.UnaryOperator<RaftConfig> tweak) {
        RawNode node = new RawNode(tweak.apply(RaftConfig.defaults(id).withFeatures(false, false, false).withDeferCommitNotice(false)), disk,
                RandomSource.seeded(id));
        disks.put(id, disk);
        nodes.put(id, node);
        return node;
    }

    RawNode node(long id) {
        return nodes.get(id);
    }

    /** Ticks {@code id} until it leads, settling the group after each tick. */
    RawNode elect(long id) {
        RawNode node = nodes.get(id);
        for (int i = 0; i < 100 && node.status().role() != Role.LEADER; i++) {
            node.tick();
            settle();
        }
        if (node.status().role() != Role.LEADER) {
            throw new AssertionError("node " + id + " was not elected");
        }
        return node;
    }

    void settle() {
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
                RawNode to = nodes.get(m.to());
                if (to != null && !loss.test(m)) {
                    to.step(m);
                }
            }
        }
        throw new AssertionError("group did not settle");
    }
}

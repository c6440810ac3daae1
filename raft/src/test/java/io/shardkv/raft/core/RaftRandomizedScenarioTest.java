package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A seeded smoke test that mixes every feature the paper tests check one at a time: elections,
 * proposals, partitions, message loss, reordering and duplication, crashes with and without the
 * state machine, leadership transfers, membership changes (learner, promotion, joint moves,
 * removal), snapshots, reads and failure reports. {@link TestCluster} checks durability before
 * send, election safety and state machine safety on every step; at the end the network heals
 * and every member must apply a new entry. This is a quick net over the core, not the
 * deterministic simulation of the runtime (DESIGN 8.3). A failing seed is named and replays.
 */
class RaftRandomizedScenarioTest {

    private static final int SEEDS = 200;
    private static final int STEPS = 400;

    @Test
    @DisplayName("safety on every step and liveness after healing, over seeded random scenarios")
    void randomScenarios() {
        List<String> failures = new ArrayList<>();
        for (long seed = Long.getLong("from", 1); seed <= Long.getLong("to", SEEDS); seed++) {
            try {
                run(seed);
            } catch (AssertionError | RuntimeException e) {
                failures.add("seed " + seed + ": " + e);
            }
        }
        assertThat(failures).isEmpty();
    }

    private static void run(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean quiesce = rnd.nextBoolean();
        boolean checkQuorum = rnd.nextInt(4) != 0;
        boolean preVote = rnd.nextInt(4) != 0;
        // Small messages and windows so that flow control and splitting happen often.
        TestCluster c = TestCluster.builder(5).learners(6).seed(seed)
                .config(cfg -> cfg.withFeatures(checkQuorum, preVote, quiesce).withLimits(64, 4, 256, 1 << 16))
                .build();
        c.reportSnapshots = true;
        if (rnd.nextBoolean()) {
            c.disorder(seed, 3);
        }
        c.drop(m -> rnd.nextInt(100) < 5);
        List<Long> crashed = new ArrayList<>();
        int proposals = 0;
        long readIds = 0;
        // For each read, the highest index known committed anywhere when it was issued.
        Map<Long, Long> readFloor = new HashMap<>();
        for (int step = 0; step < STEPS; step++) {
            checkReads(c, readFloor);
            int action = rnd.nextInt(100);
            long id = 1 + rnd.nextInt(6);
            long leader = c.leaderId();
            if (action < 30) {
                c.tickAll();
            } else if (action < 50) {
                if (leader != RawNode.NONE) {
                    c.propose(leader, "s" + seed + "p" + proposals++);
                }
            } else if (action < 55) {
                c.isolate(id);
            } else if (action < 60) {
                c.rejoin(id);
            } else if (action < 63) {
                if (crashed.size() < 2 && c.peer(id).node != null) {
                    c.crash(id);
                    crashed.add(id);
                }
            } else if (action < 67) {
                if (!crashed.isEmpty()) {
                    c.restart(crashed.remove(0), rnd.nextBoolean());
                }
            } else if (action < 70) {
                if (leader != RawNode.NONE) {
                    c.node(leader).transferLeader(1 + rnd.nextInt(6));
                }
            } else if (action < 74) {
                if (leader != RawNode.NONE) {
                    c.node(leader).proposeConfChange(randomChange(c.node(leader).confState(), rnd));
                }
            } else if (action < 76) {
                if (leader != RawNode.NONE && c.peer(leader).appliedIndex > 0) {
                    c.snapshotAndCompact(leader);
                }
            } else if (action < 80) {
                if (c.peer(id).node != null) {
                    long requestId = ++readIds;
                    readFloor.put(requestId, highestCommit(c));
                    c.node(id).readIndex(requestId, rnd.nextBoolean() ? ReadMode.SAFE : ReadMode.LEASE);
                }
            } else if (action < 82) {
                if (c.peer(id).node != null) {
                    c.node(id).reportLeaderDown();
                }
            } else if (action < 84) {
                c.heal();
                c.drop(m -> rnd.nextInt(100) < 5);
            } else if (action < 88) {
                stallOrResume(c, c.peer(id));
            } else {
                c.stabilize();
            }
        }

        c.stabilize();
        checkReads(c, readFloor);
        // Liveness: heal everything, restart the crashed, tell everyone to look for a leader.
        c.heal();
        for (long id : c.ids()) {
            if (c.peer(id).manualReady) {
                stallOrResume(c, c.peer(id));
            }
        }
        while (!crashed.isEmpty()) {
            c.restart(crashed.remove(0), true);
        }
        for (long id : c.ids()) {
            c.node(id).reportLeaderDown();
        }
        String marker = "final" + seed;
        int[] rounds = {0};
        c.tickUntil(() -> {
            long l = c.leaderId();
            if (l == RawNode.NONE) {
                return false;
            }
            // An accepted proposal can still be lost with its leader: propose again now and then.
            if (rounds[0]++ % 20 == 0 && !c.data(l).contains(marker)) {
                c.propose(l, marker);
            }
            ConfState cs = c.node(l).confState();
            return c.ids().stream()
                    .filter(i -> cs.voters().contains(i) || cs.votersOutgoing().contains(i) || cs.learners().contains(i))
                    .allMatch(i -> c.data(i).contains(marker));
        }, 400, "seed " + seed + ": every member applies a new entry after healing");
    }

    private static long highestCommit(TestCluster c) {
        long max = 0;
        for (long id : c.ids()) {
            TestCluster.Peer p = c.peer(id);
            max = Math.max(max, p.storage.hardState().commit());
            if (p.node != null) {
                max = Math.max(max, p.raft().log.committed());
            }
        }
        return max;
    }

    /** Linearizable reads: a read index covers everything committed before the read was issued. */
    private static void checkReads(TestCluster c, Map<Long, Long> readFloor) {
        for (long id : c.ids()) {
            for (ReadState rs : c.peer(id).readStates) {
                Long floor = readFloor.get(rs.requestId());
                if (floor != null && rs.index() < floor) {
                    throw new AssertionError("stale read on node " + id + ": " + rs + " but index " + floor
                            + " was committed before the read was issued");
                }
            }
        }
    }

    /**
     * A slow owner: takes the node's Ready and sits on it while messages keep being stepped into
     * the node; the next call persists, sends and applies it.
     */
    private static void stallOrResume(TestCluster c, TestCluster.Peer p) {
        if (p.node == null) {
            return;
        }
        if (!p.manualReady) {
            p.manualReady = true;
            p.held = p.node.hasReady() ? p.node.ready() : null;
        } else {
            p.manualReady = false;
            if (p.held != null) {
                Ready rd = p.held;
                p.held = null;
                c.handleReady(p, rd);
            }
        }
    }

    /** Moves node 6 between learner, voter and removed, and swaps it with node 5 in joint changes. */
    private static ConfChange randomChange(ConfState cs, SplittableRandom rnd) {
        boolean sixVotes = cs.voters().contains(6L);
        boolean sixLearns = cs.learners().contains(6L);
        boolean fiveVotes = cs.voters().contains(5L);
        boolean fiveMember = fiveVotes || cs.learners().contains(5L);
        return switch (rnd.nextInt(4)) {
            case 0 -> sixLearns ? ConfChange.of(ConfChangeSingle.addVoter(6)) : ConfChange.of(ConfChangeSingle.addLearner(6));
            case 1 -> sixVotes ? ConfChange.of(ConfChangeSingle.remove(6)) : ConfChange.of(ConfChangeSingle.addLearner(6));
            case 2 -> fiveVotes && sixLearns
                    ? ConfChange.of(ConfChangeSingle.addVoter(6), ConfChangeSingle.remove(5))
                    : ConfChange.of(ConfChangeSingle.addLearner(6));
            default -> sixVotes && !fiveMember
                    ? ConfChange.of(ConfChangeSingle.addVoter(5), ConfChangeSingle.remove(6))
                    : ConfChange.of(ConfChangeSingle.addLearner(6));
        };
    }
}

package io.shardkv.raft.sim;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.ProposeResult;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The adversary of the safety phase. At random intervals it picks one fault by the seed's
 * weights: crash a node (often the leader) and restart it later, half the time in the middle of
 * its next log write, after a leader's early appends have left; cut the network (isolate a node,
 * split the group, or cut single directions) or heal it; change membership (add a learner,
 * promote it, remove a voter or learner, possibly the leader, or move a replica in one joint
 * change); transfer leadership; make a node's snapshot temporarily unavailable; or change the
 * network's loss and duplication rates.
 */
final class Nemesis {
    private static final long TICK = SimCluster.TICK;

    private final SimCluster cluster;
    private final SimProfile profile;
    private final SplittableRandom random;
    private final SimEventQueue queue;
    private boolean active = true;
    private long actions;

    Nemesis(SimCluster cluster, SplittableRandom random) {
        this.cluster = cluster;
        this.profile = cluster.profile;
        this.random = random;
        this.queue = cluster.queue;
    }

    void start() {
        scheduleNext();
        cluster.setLeaderWatcher(this::onNewLeader);
    }

    /**
     * Strikes some new leaders before their first entries are everywhere: the moments that
     * decide leader completeness and commit rules (paper figure 8), and that test leases.
     */
    private void onNewLeader(long leader) {
        if (!active || random.nextDouble() >= profile.newLeaderFaultProbability()) {
            return;
        }
        int kind = random.nextInt(3);
        queue.after(random.nextLong(2 * TICK + 1), "strike-leader", leader, () -> {
            if (!active || !cluster.isUp(leader)) {
                return;
            }
            if (kind == 0) {
                crashFor(leader);
            } else {
                List<Long> ids = cluster.nodeIds();
                if (kind == 1) {
                    cluster.network.links().isolate(leader, ids);
                } else {
                    for (long other : ids) {
                        cluster.network.links().block(leader, other);
                    }
                }
                cluster.trace.note(queue.now(), "partition", 0, (kind == 1 ? "isolate" : "mute") + " new leader n"
                        + leader);
                queue.after(TICK * (1 + random.nextLong(3L * profile.electionTicks())), "heal", 0, () -> {
                    cluster.network.links().healAll();
                    cluster.trace.note(queue.now(), "partition", 0, "heal");
                });
            }
        });
    }

    /** Stops injecting faults; restarts and heals already scheduled still happen. */
    void stop() {
        active = false;
    }

    long actions() {
        return actions;
    }

    private void scheduleNext() {
        long mean = profile.meanNemesisIntervalUnits();
        queue.after(1 + random.nextLong(2 * mean), "nemesis", 0, this::act);
    }

    private void act() {
        if (!active) {
            return;
        }
        actions++;
        double[] weights = {profile.crashWeight(), profile.partitionWeight(), profile.membershipWeight(),
                profile.transferWeight(), profile.snapshotUnavailableWeight(), profile.weatherWeight()};
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double dice = random.nextDouble() * total;
        int choice = 0;
        while (choice < weights.length - 1 && dice >= weights[choice]) {
            dice -= weights[choice];
            choice++;
        }
        switch (choice) {
            case 0 -> crash();
            case 1 -> partition();
            case 2 -> changeMembership();
            case 3 -> transferLeader();
            case 4 -> snapshotUnavailable();
            default -> weather();
        }
        scheduleNext();
    }

    private void crash() {
        List<Long> up = cluster.upNodeIds();
        if (up.isEmpty() || cluster.downNodeIds().size() >= profile.maxDown()) {
            return;
        }
        long leader = cluster.leader();
        long victim = leader != RawNode.NONE && random.nextInt(3) == 0 ? leader : up.get(random.nextInt(up.size()));
        if (random.nextBoolean()) {
            // In the middle of its next log write: a leader's appends may be out, its disk not written.
            cluster.crashDuringNextWrite(victim, () -> {
                if (active) {
                    crashFor(victim);
                }
            });
        } else {
            crashFor(victim);
        }
    }

    /** Crashes {@code victim} and restarts it after a random outage. */
    private void crashFor(long victim) {
        if (cluster.downNodeIds().size() >= profile.maxDown()) {
            return;
        }
        cluster.crash(victim);
        long downFor = TICK * (1 + random.nextLong(4L * profile.electionTicks()));
        queue.after(downFor, "restart", victim, () -> {
            SimNode<KvStateMachine> node = cluster.node(victim);
            if (node != null && !node.isUp()) {
                cluster.start(victim);
            }
        });
    }

    private void partition() {
        LinkFilter links = cluster.network.links();
        List<Long> ids = cluster.nodeIds();
        int kind = random.nextInt(5);
        String what;
        if (kind == 0 || ids.size() < 2) {
            links.healAll();
            what = "heal";
        } else if (kind == 1) {
            long leader = cluster.leader();
            // Mostly the leader: a cut-off leader that still believes it leads is the hard case.
            long victim = leader != RawNode.NONE && random.nextInt(3) != 0 ? leader : ids.get(random.nextInt(ids.size()));
            links.isolate(victim, ids);
            what = "isolate n" + victim;
        } else if (kind == 2) {
            List<Long> shuffled = new ArrayList<>(ids);
            Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
            int cut = 1 + random.nextInt(shuffled.size() - 1);
            links.split(shuffled.subList(0, cut), shuffled.subList(cut, shuffled.size()));
            what = "split " + shuffled.subList(0, cut) + " | " + shuffled.subList(cut, shuffled.size());
        } else {
            // One-way cuts: the cases where a node hears but is not heard, or the reverse.
            StringBuilder sb = new StringBuilder("cut");
            int n = 1 + random.nextInt(3);
            for (int i = 0; i < n; i++) {
                long from = ids.get(random.nextInt(ids.size()));
                long to = ids.get(random.nextInt(ids.size()));
                links.block(from, to);
                sb.append(' ').append(from).append("->").append(to);
            }
            what = sb.toString();
        }
        cluster.trace.note(queue.now(), "partition", 0, what);
        if (random.nextInt(3) != 0) {
            queue.after(TICK * (1 + random.nextLong(4L * profile.electionTicks())), "heal", 0, () -> {
                links.healAll();
                cluster.trace.note(queue.now(), "partition", 0, "heal");
            });
        }
    }

    private void changeMembership() {
        long leaderId = cluster.leader();
        if (leaderId == RawNode.NONE) {
            return;
        }
        RawNode leader = cluster.node(leaderId).raw();
        ConfState cs = leader.confState();
        List<Long> voters = new ArrayList<>(new java.util.TreeSet<>(cs.voters()));
        List<Long> learners = new ArrayList<>(new java.util.TreeSet<>(cs.learners()));
        boolean canAdd = cluster.idsUsed() < profile.maxNodeIds();
        int kind = random.nextInt(5);
        if (kind == 0 && canAdd) {
            long id = cluster.addNode();
            propose(leader, ConfChange.of(ConfChangeSingle.addLearner(id)), id);
        } else if (kind == 1 && !learners.isEmpty()) {
            long id = learners.get(random.nextInt(learners.size()));
            propose(leader, ConfChange.of(ConfChangeSingle.addVoter(id)), RawNode.NONE);
        } else if (kind == 2 && voters.size() >= 3) {
            long id = random.nextInt(3) == 0 ? leaderId : voters.get(random.nextInt(voters.size()));
            propose(leader, ConfChange.of(ConfChangeSingle.remove(id)), RawNode.NONE);
        } else if (kind == 3 && !learners.isEmpty()) {
            long id = learners.get(random.nextInt(learners.size()));
            propose(leader, ConfChange.of(ConfChangeSingle.remove(id)), RawNode.NONE);
        } else if (kind == 4 && canAdd && !voters.isEmpty()) {
            // Move a replica in one step: a joint change adds the new voter and removes the old.
            long old = random.nextInt(3) == 0 ? leaderId : voters.get(random.nextInt(voters.size()));
            long id = cluster.addNode();
            propose(leader, ConfChange.of(ConfChangeSingle.addVoter(id), ConfChangeSingle.remove(old)), id);
        }
    }

    /** Proposes {@code cc}; a node created for it is destroyed again if the leader refuses. */
    private void propose(RawNode leader, ConfChange cc, long createdNode) {
        ProposeResult result = leader.proposeConfChange(cc);
        cluster.trace.note(queue.now(), "confchange", leader.id(), cc.changes() + " -> " + result);
        if (!result.isAccepted() && createdNode != RawNode.NONE) {
            cluster.destroy(createdNode);
        }
    }

    private void transferLeader() {
        List<Long> up = cluster.upNodeIds();
        List<Long> voters = new ArrayList<>(new java.util.TreeSet<>(cluster.latestConf().voters()));
        if (up.isEmpty() || voters.isEmpty()) {
            return;
        }
        long leader = cluster.leader();
        long at = leader != RawNode.NONE && random.nextInt(4) != 0 ? leader : up.get(random.nextInt(up.size()));
        long target = voters.get(random.nextInt(voters.size()));
        ProposeResult result = cluster.node(at).raw().transferLeader(target);
        cluster.trace.note(queue.now(), "transfer", at, "to " + target + " -> " + result);
    }

    private void snapshotUnavailable() {
        List<Long> ids = cluster.nodeIds();
        long id = ids.get(random.nextInt(ids.size()));
        cluster.node(id).disk().setSnapshotUnavailable(true);
        cluster.trace.note(queue.now(), "snap-unavail", id, "");
        queue.after(TICK * (1 + random.nextLong(3L * profile.electionTicks())), "snap-avail", id, () -> {
            SimNode<KvStateMachine> node = cluster.node(id);
            if (node != null) {
                node.disk().setSnapshotUnavailable(false);
            }
        });
    }

    private void weather() {
        double loss = profile.maxLoss() * random.nextDouble();
        double dup = profile.maxDuplicate() * random.nextDouble();
        long maxDelay = 1 + random.nextLong(profile.maxDelayUnits());
        cluster.network.setFaults(loss, dup);
        cluster.network.setDelay(1, maxDelay);
        cluster.trace.note(queue.now(), "weather", 0, String.format("loss=%.3f dup=%.3f delay<=%d", loss, dup,
                maxDelay));
    }
}

package io.shardkv.raft.sim;

import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Role;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongPredicate;

/**
 * The node-level failure detector of the simulation. Quiesced followers stop their election
 * timers, so without it a quiesced group whose leader died would never elect another. On each
 * tick of a follower it reports the leader down when the leader's node is down, when the link
 * from the leader has been cut for {@code patienceTicks}, or when the follower is quiesced with no
 * leader at all. Like real detectors it is imperfect: with a small probability it raises a false
 * alarm about a healthy leader, which the core must tolerate.
 */
final class FailureDetector {
    private final int patienceTicks;
    private final double falseAlarmProbability;
    private final SplittableRandom random;
    private final Map<Long, Integer> cutTicks = new HashMap<>();
    private boolean enabled = true;

    FailureDetector(int patienceTicks, double falseAlarmProbability, SplittableRandom random) {
        this.patienceTicks = patienceTicks;
        this.falseAlarmProbability = falseAlarmProbability;
        this.random = random;
    }

    void setFalseAlarms(boolean on) {
        enabled = on;
    }

    /** Called on every tick of a running node. */
    void onTick(SimNode<?> node, LongPredicate isUp, LinkFilter links) {
        if (node.role() == Role.LEADER) {
            cutTicks.remove(node.id());
            return;
        }
        long leader = node.knownLeader();
        boolean suspect;
        if (leader == RawNode.NONE) {
            suspect = node.raw().isQuiesced();
        } else if (!isUp.test(leader)) {
            suspect = true;
        } else if (links.isBlocked(leader, node.id())) {
            suspect = cutTicks.merge(node.id(), 1, Integer::sum) >= patienceTicks;
        } else {
            cutTicks.remove(node.id());
            suspect = enabled && falseAlarmProbability > 0 && random.nextDouble() < falseAlarmProbability;
        }
        if (suspect) {
            node.raw().reportLeaderDown();
        }
    }
}

package io.shardkv.raft.sim;

import io.shardkv.raft.core.RaftConfig;
import java.util.SplittableRandom;

/**
 * Everything one seed decides about its run: cluster size, core features and limits, how hostile
 * the network is, how often nodes snapshot, how many clients run and how often the nemesis acts.
 * Drawing these per seed (rather than fixing them) is what lets many seeds cover many corners.
 *
 * <p>Times are in simulation units; a Raft tick is {@link #TICK_UNITS} units, so message delays
 * can be fractions of a tick as well as several ticks.
 */
record SimProfile(
        int initialVoters,
        int maxNodeIds,
        boolean checkQuorum,
        boolean preVote,
        boolean quiesce,
        int electionTicks,
        int heartbeatTicks,
        long maxSizePerMsgBytes,
        int maxInflightMsgs,
        long maxInflightBytes,
        long maxUncommittedBytes,
        long maxCommittedBytesPerReady,
        double maxLoss,
        double maxDuplicate,
        long maxDelayUnits,
        SnapshotPolicy snapshotPolicy,
        double snapshotUnavailableWeight,
        int clients,
        int keys,
        boolean leaseReads,
        double followerReadProbability,
        long meanNemesisIntervalUnits,
        double crashWeight,
        double partitionWeight,
        double membershipWeight,
        double transferWeight,
        double weatherWeight,
        int maxDown,
        double falseAlarmProbability,
        double newLeaderFaultProbability,
        double clientPauseProbability,
        int safetyEvents) {

    static final long TICK_UNITS = 10;

    /**
     * Draws a profile. Clients ask for LEASE reads mostly where CheckQuorum makes leases possible,
     * and on some seeds without it, where the core must fall back to SAFE reads by itself.
     */
    static SimProfile choose(SplittableRandom r, int safetyEvents) {
        int voters = r.nextInt(10) < 6 ? 3 : 5;
        boolean checkQuorum = r.nextInt(10) < 7;
        boolean preVote = r.nextInt(10) < 7;
        boolean quiesce = r.nextBoolean();
        boolean tight = r.nextInt(10) < 4;
        // One entry per message (1 byte) is the extreme that splits replication most finely.
        long maxSize = tight ? pick(r, 1, 1, 40, 200) : 1 << 20;
        int inflight = tight ? (int) pick(r, 1, 2, 4) : 128;
        long inflightBytes = tight ? pick(r, 40, 300, 2000) : 64L << 20;
        long uncommitted = tight ? pick(r, 100, 1000, 10_000) : 256L << 20;
        long perReady = tight ? pick(r, 1, 100, 1000) : 64L << 20;
        double loss = r.nextInt(10) < 2 ? 0 : pickDouble(r, 0.01, 0.05, 0.15);
        double dup = r.nextInt(10) < 4 ? 0 : pickDouble(r, 0.01, 0.05, 0.10);
        long delay = pick(r, 3, 10, 30, 60);
        SnapshotPolicy snapshots = r.nextInt(10) < 2 ? SnapshotPolicy.NEVER
                : new SnapshotPolicy((int) pick(r, 2, 5, 20, 60), (int) pick(r, 0, 0, 3, 20));
        int maxDown = (int) pick(r, 1, voters / 2, voters);
        return new SimProfile(voters, voters + 8, checkQuorum, preVote, quiesce,
                10, 2, maxSize, inflight, inflightBytes, uncommitted, perReady,
                loss, dup, delay, snapshots, r.nextInt(3) == 0 ? 1 : 0,
                2 + r.nextInt(6), (int) pick(r, 6, 8), checkQuorum ? r.nextInt(4) != 0 : r.nextInt(4) == 0, pickDouble(r, 0, 0.3, 0.6),
                pick(r, 40, 100, 250),
                1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(3), r.nextInt(2),
                maxDown, r.nextInt(4) == 0 ? 0.02 : 0, pickDouble(r, 0, 0.1, 0.3), pickDouble(r, 0, 0.05, 0.2),
                safetyEvents);
    }

    /** The core configuration of node {@code id}. */
    RaftConfig raftConfig(long id) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, maxSizePerMsgBytes, maxInflightMsgs, maxInflightBytes,
                maxUncommittedBytes, maxCommittedBytesPerReady, checkQuorum, preVote, quiesce, true, 10 * electionTicks, 0);
    }

    long electionUnits() {
        return electionTicks * TICK_UNITS;
    }

    private static long pick(SplittableRandom r, long... options) {
        return options[r.nextInt(options.length)];
    }

    private static double pickDouble(SplittableRandom r, double... options) {
        return options[r.nextInt(options.length)];
    }

    /** A one-line summary for traces. */
    String describe() {
        return voters() + " voters, cq=" + checkQuorum + " pv=" + preVote + " quiesce=" + quiesce
                + " msg=" + maxSizePerMsgBytes + "B inflight=" + maxInflightMsgs + "/" + maxInflightBytes + "B"
                + " uncommitted=" + maxUncommittedBytes + "B loss<=" + maxLoss + " dup<=" + maxDuplicate
                + " delay<=" + maxDelayUnits + " snapshots=" + snapshotPolicy + " clients=" + clients
                + " lease=" + leaseReads + " maxDown=" + maxDown + " newLeaderFaults=" + newLeaderFaultProbability
                + " pauses=" + clientPauseProbability;
    }

    private String voters() {
        return Integer.toString(initialVoters);
    }
}

package io.shardkv.raft.runtime.sim;

import java.util.Random;

/**
 * What one seed's world looks like, drawn from the seed: how many servers and groups, how slow
 * each kind of work is, how lossy the network, which faults the nemesis may use and how small
 * the runtime's bounds are (mailboxes, retained log), so that every seed leans on a different
 * part of the runtime.
 */
record RuntimeProfile(int servers, int groups, int replicas, int clients, int pollers, int mailboxCapacity,
                      long retainedEntries, long maxApplyBacklogBytes, boolean poisonGroup, boolean leaseReads,
                      Delays delays, double lossRate, long faultNanos) {

    /** Seeded delays of the runtime's tasks and the network, in nanoseconds. */
    record Delays(long maxPoll, long maxApply, double slowApplyRate, long maxBuild, long minLatency,
                  long maxLatency) {
        long poll(Random r) {
            return r.nextLong(maxPoll + 1);
        }

        long apply(Random r) {
            long d = r.nextLong(maxApply + 1);
            return r.nextDouble() < slowApplyRate ? d + r.nextLong(50_000_000) : d;
        }

        long snapshotBuild(Random r) {
            return 1_000_000 + r.nextLong(maxBuild + 1);
        }

        long latency(Random r) {
            return minLatency + r.nextLong(maxLatency - minLatency + 1);
        }
    }

    static RuntimeProfile draw(Random r) {
        int servers = 3 + r.nextInt(3);
        Delays delays = new Delays(r.nextInt(3) == 0 ? 2_000_000 : 200_000, 100_000 + r.nextLong(5_000_000),
                r.nextInt(2) == 0 ? 0.05 : 0, 2_000_000 + r.nextLong(40_000_000), 100_000,
                500_000 + r.nextLong(10_000_000));
        return new RuntimeProfile(servers, 2 + r.nextInt(3), 3, 2 + r.nextInt(4), 1 + r.nextInt(2),
                r.nextInt(4) == 0 ? 8 + r.nextInt(24) : 4096,
                r.nextBoolean() ? 5 + r.nextInt(20) : 1000,
                r.nextInt(4) == 0 ? 512 : 64L << 20,
                r.nextInt(6) == 0, r.nextBoolean(), delays, r.nextInt(3) == 0 ? 0.02 : 0,
                (6 + r.nextInt(6)) * 1_000_000_000L);
    }
}

package io.shardkv.kvctl.bench;

import java.util.SplittableRandom;

/**
 * Zipfian key popularity after Gray et al., "Quickly Generating Billion-Record Synthetic
 * Databases" (the algorithm YCSB uses), scrambled with a hash so the popular keys are not
 * neighbours. Rank 0 is the most popular.
 */
final class ZipfianChooser implements KeyChooser {
    static final double YCSB_THETA = 0.99;

    private final long items;
    private final double theta;
    private final double alpha;
    private final double zetan;
    private final double eta;

    ZipfianChooser(long items, double theta) {
        if (items < 1) {
            throw new IllegalArgumentException("need at least 1 key, got " + items);
        }
        this.items = items;
        this.theta = theta;
        this.zetan = zeta(items, theta);
        double zeta2 = zeta(Math.min(2, items), theta);
        this.alpha = 1.0 / (1.0 - theta);
        this.eta = (1 - Math.pow(2.0 / items, 1 - theta)) / (1 - zeta2 / zetan);
    }

    private static double zeta(long n, double theta) {
        double sum = 0;
        for (long i = 1; i <= n; i++) {
            sum += 1 / Math.pow(i, theta);
        }
        return sum;
    }

    /** The popularity rank of the next key, 0..items-1. */
    long nextRank(SplittableRandom random) {
        double u = random.nextDouble();
        double uz = u * zetan;
        if (uz < 1.0) {
            return 0;
        }
        if (uz < 1.0 + Math.pow(0.5, theta)) {
            return Math.min(1, items - 1);
        }
        long rank = (long) (items * Math.pow(eta * u - eta + 1, alpha));
        return Math.min(rank, items - 1);
    }

    @Override
    public long next(SplittableRandom random) {
        return Math.floorMod(fnv(nextRank(random)), items);
    }

    /** FNV-1a over the 8 bytes of {@code value}, as YCSB scrambles ranks. */
    private static long fnv(long value) {
        long hash = 0xCBF29CE484222325L;
        for (int i = 0; i < 8; i++) {
            hash ^= (value >>> (i * 8)) & 0xFF;
            hash *= 0x100000001B3L;
        }
        return hash;
    }
}

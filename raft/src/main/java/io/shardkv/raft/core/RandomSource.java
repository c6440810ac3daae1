package io.shardkv.raft.core;

/**
 * The only randomness the core uses (for election timeouts). Injected so that a seeded source
 * makes every run reproducible.
 */
@FunctionalInterface
public interface RandomSource {
    /** A uniformly distributed int in {@code [0, bound)}. */
    int nextInt(int bound);

    static RandomSource seeded(long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        return random::nextInt;
    }
}

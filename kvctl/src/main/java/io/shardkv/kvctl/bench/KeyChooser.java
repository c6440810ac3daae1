package io.shardkv.kvctl.bench;

import java.util.SplittableRandom;

/** Picks the index of the next key, 0..keys-1. */
public interface KeyChooser {
    long next(SplittableRandom random);

    static KeyChooser uniform(long keys) {
        if (keys < 1) {
            throw new IllegalArgumentException("need at least 1 key, got " + keys);
        }
        return random -> random.nextLong(keys);
    }

    /** YCSB's scrambled Zipfian: a few hot keys, spread over the key space (hence over slots). */
    static KeyChooser zipfian(long keys) {
        return new ZipfianChooser(keys, ZipfianChooser.YCSB_THETA);
    }
}

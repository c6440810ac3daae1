package io.shardkv.kvctl.bench;

import java.time.Duration;

/**
 * A YCSB-style workload: {@code readRatio} of the operations are gets, the rest puts, on
 * {@code keys} keys chosen uniformly or Zipfian, with {@code concurrency} requests always in
 * flight for {@code warmup} (not measured) then {@code duration}; {@code load} first writes
 * every key once.
 */
public record BenchConfig(double readRatio, long keys, int valueSize, int concurrency, Duration duration,
        Duration warmup, Distribution distribution, boolean load, long seed) {

    public enum Distribution { UNIFORM, ZIPFIAN }

    public BenchConfig {
        if (readRatio < 0 || readRatio > 1) {
            throw new IllegalArgumentException("--read-ratio must be in 0..1, got " + readRatio);
        }
        if (keys < 1) {
            throw new IllegalArgumentException("--keys must be at least 1, got " + keys);
        }
        if (valueSize < 0 || valueSize > 4 * 1024 * 1024) {
            throw new IllegalArgumentException("--value-size must be in 0..4194304, got " + valueSize);
        }
        if (concurrency < 1 || concurrency > 1000) {
            throw new IllegalArgumentException("--concurrency must be in 1..1000, got " + concurrency);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive, got " + duration);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("--warmup must not be negative, got " + warmup);
        }
    }

    KeyChooser keyChooser() {
        return distribution == Distribution.ZIPFIAN ? KeyChooser.zipfian(keys) : KeyChooser.uniform(keys);
    }

    static String keyName(long index) {
        return String.format("bench-%010d", index);
    }
}

package io.shardkv.bench.peers;

import org.HdrHistogram.Histogram;

/**
 * What one measured run of one workload on one contender gave.
 *
 * @param ops              requests that succeeded within the measured window
 * @param errors           requests that failed within it
 * @param seconds          the window's length
 * @param latencyMicros    latencies of the successful requests
 * @param clientCpuNanos   the driver JVM's CPU time during the window
 * @param serverCpuNanos   the contender's server processes' CPU time during the window
 * @param firstError       the first failure's description, or null
 */
record RunResult(long ops, long errors, double seconds, Histogram latencyMicros, long clientCpuNanos,
                 long serverCpuNanos, String firstError) {

    double opsPerSecond() {
        return ops / seconds;
    }
}

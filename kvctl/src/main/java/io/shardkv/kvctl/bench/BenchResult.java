package io.shardkv.kvctl.bench;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/** What a measured run saw: latencies per operation type (microseconds) and errors by kind. */
public record BenchResult(Duration measured, Map<String, Histogram> latencies, Map<String, Long> errors) {

    public long operations() {
        long total = 0;
        for (Histogram h : latencies.values()) {
            total += h.getTotalCount();
        }
        return total;
    }

    public long errorCount() {
        long total = 0;
        for (long n : errors.values()) {
            total += n;
        }
        return total;
    }

    public double throughput() {
        double seconds = measured.toNanos() / 1e9;
        return seconds <= 0 ? 0 : operations() / seconds;
    }

    public void print(PrintWriter out) {
        out.printf("measured %.1f s: %d ok operations, %.0f ops/s, %d errors%n",
                measured.toNanos() / 1e9, operations(), throughput(), errorCount());
        out.printf("  %-6s %10s %10s %10s %10s %10s %10s%n", "op", "count", "ops/s", "p50 ms", "p99 ms", "p999 ms", "max ms");
        double seconds = Math.max(1e-9, measured.toNanos() / 1e9);
        for (Map.Entry<String, Histogram> entry : new TreeMap<>(latencies).entrySet()) {
            Histogram h = entry.getValue();
            out.printf("  %-6s %10d %10.0f %10.2f %10.2f %10.2f %10.2f%n", entry.getKey(), h.getTotalCount(),
                    h.getTotalCount() / seconds, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)),
                    ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
        }
        if (!errors.isEmpty()) {
            out.println("  errors:");
            for (Map.Entry<String, Long> entry : new TreeMap<>(errors).entrySet()) {
                out.printf("    %-24s %d%n", entry.getKey(), entry.getValue());
            }
        }
        out.flush();
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }
}

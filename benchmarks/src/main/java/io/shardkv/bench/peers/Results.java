package io.shardkv.bench.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The runs of every round, summarized per workload and contender: the median ops/s over rounds
 * and its spread (min-max), latency percentiles over all rounds' requests, the ratio to the
 * baseline contender (etcd) taken round by round, since the contenders of one round ran
 * back-to-back on the same machine, and CPU per operation. Pure: no clocks, no I/O.
 */
final class Results {
    private final String baseline;
    /** workload name -> contender -> runs in round order. Insertion order is report order. */
    private final Map<String, Map<String, List<RunResult>>> runs = new LinkedHashMap<>();
    private final Map<String, Workload> workloads = new LinkedHashMap<>();

    /** @param baseline the contender the others are divided by */
    Results(String baseline) {
        this.baseline = baseline;
    }

    void add(Workload workload, String contender, RunResult result) {
        workloads.putIfAbsent(workload.name(), workload);
        runs.computeIfAbsent(workload.name(), w -> new LinkedHashMap<>())
                .computeIfAbsent(contender, c -> new ArrayList<>()).add(result);
    }

    /**
     * One contender's summary of one workload.
     *
     * @param ratio    median over rounds of this contender's ops/s over the baseline's; NaN if none
     * @param ratioMin the lowest of those ratios; ratioMax the highest
     */
    record Row(String contender, int rounds, double medianOps, double minOps, double maxOps,
               double p50Millis, double p99Millis, double p999Millis, double ratio, double ratioMin,
               double ratioMax, double clientMicrosPerOp, double serverMicrosPerOp, long errors) {
    }

    List<Row> rows(String workload) {
        Map<String, List<RunResult>> byContender = runs.getOrDefault(workload, Map.of());
        List<RunResult> base = byContender.getOrDefault(baseline, List.of());
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, List<RunResult>> e : byContender.entrySet()) {
            List<RunResult> rs = e.getValue();
            double[] ops = rs.stream().mapToDouble(RunResult::opsPerSecond).toArray();
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < Math.min(rs.size(), base.size()); i++) {
                if (base.get(i).opsPerSecond() > 0) {
                    ratios.add(rs.get(i).opsPerSecond() / base.get(i).opsPerSecond());
                }
            }
            double[] r = ratios.stream().mapToDouble(Double::doubleValue).toArray();
            Histogram all = new Histogram(3);
            long totalOps = 0;
            long clientCpu = 0;
            long serverCpu = 0;
            long errors = 0;
            for (RunResult run : rs) {
                all.add(run.latencyMicros());
                totalOps += run.ops();
                clientCpu += run.clientCpuNanos();
                serverCpu += run.serverCpuNanos();
                errors += run.errors();
            }
            rows.add(new Row(e.getKey(), rs.size(), median(ops), min(ops), max(ops),
                    millis(all, 50), millis(all, 99), millis(all, 99.9),
                    median(r), min(r), max(r),
                    totalOps == 0 ? Double.NaN : clientCpu / 1e3 / totalOps,
                    totalOps == 0 ? Double.NaN : serverCpu / 1e3 / totalOps, errors));
        }
        return rows;
    }

    /** The text table of one workload, printed as soon as its rounds are done. */
    String format(String workload) {
        StringBuilder out = new StringBuilder();
        out.append("## ").append(workloads.get(workload).describe()).append('\n');
        out.append(String.format(Locale.ROOT, "%-12s %9s %17s %8s %8s %8s %7s %13s %10s %10s %7s%n",
                "contender", "ops/s", "spread (min-max)", "p50 ms", "p99 ms", "p999 ms", "vs " + baseline,
                "(spread)", "client us/op", "server us/op", "errors"));
        for (Row r : rows(workload)) {
            out.append(String.format(Locale.ROOT, "%-12s %9.0f %17s %8.2f %8.2f %8.2f %7s %13s %12.1f %12.1f %7d%n",
                    r.contender(), r.medianOps(), String.format(Locale.ROOT, "%.0f-%.0f", r.minOps(), r.maxOps()),
                    r.p50Millis(), r.p99Millis(), r.p999Millis(), ratio(r.ratio()),
                    r.rounds() > 1 ? ratio(r.ratioMin()) + "-" + ratio(r.ratioMax()) : "",
                    r.clientMicrosPerOp(), r.serverMicrosPerOp(), r.errors()));
        }
        return out.toString();
    }

    /** Every workload as one Markdown table, for the README. */
    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| workload | contender | ops/s (median) | spread | p50 / p99 / p999 ms | vs ").append(baseline)
                .append(" (spread) | client us/op | server us/op | errors |\n");
        out.append("|---|---|---|---|---|---|---|---|---|\n");
        for (String w : runs.keySet()) {
            for (Row r : rows(w)) {
                String spread = r.rounds() > 1 ? " (" + ratio(r.ratioMin()) + "-" + ratio(r.ratioMax()) + ")" : "";
                out.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f-%.0f | %.2f / %.2f / %.2f | %s%s | %.1f | %.1f | %d |%n",
                        w, r.contender(), r.medianOps(), r.minOps(), r.maxOps(), r.p50Millis(), r.p99Millis(),
                        r.p999Millis(), ratio(r.ratio()), Double.isNaN(r.ratio()) ? "" : spread,
                        r.clientMicrosPerOp(), r.serverMicrosPerOp(), r.errors()));
            }
        }
        return out.toString();
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    private static double millis(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** The middle value; the mean of the two middle ones for an even count; NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double min(double[] values) {
        return java.util.Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return java.util.Arrays.stream(values).max().orElse(Double.NaN);
    }
}

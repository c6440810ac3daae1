package io.shardkv.bench.peers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench-peers}'s options. Numbers left unset take the full run's defaults, or the
 * smoke run's with {@code --quick}; {@link #validated()} turns them into a {@link Config}.
 */
@Command(name = "bench-peers", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"ShardKV against etcd on this machine, driven by one Java closed loop (KvClient async,"
                + " jetcd): etcd with 3 members, ShardKV (bin/kv-cluster, 3 meta + 3 kv servers) with 1 and 3 groups.",
                "Warms up, then alternates the contenders round by round and prints per workload ops/s,"
                        + " latency percentiles, the spread over rounds, ratios to etcd and CPU per operation.",
                "Workloads: write-N (writes, N in flight), read-P (P %% reads of loaded keys), value-SIZE"
                        + " (writes of SIZE values), cold (writes in the first seconds of a fresh store)."})
final class PeerBenchOptions {
    /**
     * A fresh server JVM on the 2-core development machine still spends a quarter to half a core
     * compiling 20-40 s after it starts serving (C1/C2 thread time from /proc, one-group cluster at
     * 64 writes in flight), and the contenders are warmed in turn: 36 s in all left the first
     * round of three contenders at half the second's rate.
     */
    static final int WARMUP_PER_CONTENDER_SECONDS = 40;
    static final List<String> FULL_WORKLOADS =
            List.of("write-1", "write-16", "write-64", "write-256", "read-50", "read-95", "value-1k", "cold");
    static final List<String> QUICK_WORKLOADS = List.of("write-1", "write-64", "read-50");

    @Option(names = "--quick", description = "A smoke run of about two minutes: 1 round of 3 s, 6 s of warm-up, 2000 keys,"
            + " workloads write-1,write-64,read-50; cold, which starts more clusters, only if named"
            + " (explicit options win).")
    boolean quick;
    @Option(names = "--rounds", paramLabel = "N", description = "Measured rounds (default 3; 1 with --quick).")
    Integer rounds;
    @Option(names = "--seconds", paramLabel = "S", description = "Seconds per run (default 10; 3 with --quick).")
    Double seconds;
    @Option(names = "--warmup", paramLabel = "S", description = "Seconds of warm-up in all, shared by the"
            + " contenders, after loading the keys (default " + WARMUP_PER_CONTENDER_SECONDS + " per contender;"
            + " 6 with --quick).")
    Double warmup;
    @Option(names = "--cold-seconds", paramLabel = "S", description = "Seconds measured by 'cold' (default 10;"
            + " 3 with --quick).")
    Double coldSeconds;
    @Option(names = "--workloads", split = ",", paramLabel = "W", description = "Workloads in order (default "
            + "write-1,write-16,write-64,write-256,read-50,read-95,value-1k,cold).")
    List<String> workloads;
    @Option(names = "--contenders", split = ",", paramLabel = "C", defaultValue = "etcd,shardkv-1g,shardkv-3g",
            description = "Stores in round order (etcd, shardkv-Ng, shardkv-Ng-tls; at most 3); the first is the"
                    + " baseline of the ratios (default: ${DEFAULT-VALUE}). A ShardKV name ending in -bK sets the"
                    + " client's requests in flight per group before it batches (-b0: no batching; default 1).")
    List<String> contenders;
    @Option(names = "--inflight", paramLabel = "N", defaultValue = "64",
            description = "Requests in flight for read-P, value-SIZE and cold (default: ${DEFAULT-VALUE}).")
    int inflight;
    @Option(names = "--value-size", paramLabel = "SIZE", defaultValue = "100",
            description = "Value size except for value-SIZE: 100, 1k, 1KiB (default: ${DEFAULT-VALUE}).")
    String valueSize;
    @Option(names = "--keys", paramLabel = "N", description = "Keys written before the warm-up; reads and writes"
            + " pick among them (default 10000; 2000 with --quick).")
    Long keys;
    @Option(names = "--base-port", paramLabel = "P", defaultValue = "24000",
            description = "Ports from P to P+2999 are used (default: ${DEFAULT-VALUE}).")
    int basePort;
    @Option(names = "--dir", paramLabel = "DIR", description = "Where the clusters' data goes (default: a new"
            + " temporary directory); deleted at the end.")
    Path dir;
    @Option(names = "--etcd", paramLabel = "PATH", description = "The etcd binary (default: etcd on the PATH).")
    Path etcd;


    /**
     * The validated settings.
     *
     * @param coldSeconds measured seconds of the cold workload
     */
    record Config(int rounds, Duration run, Duration warmup, Duration cold, List<Workload> workloads,
                  List<ContenderKind> contenders, long keys, int valueBytes, int basePort, Path dir, Path etcd) {
    }

    /** Checks every option and fills in the defaults; throws IllegalArgumentException saying what is wrong. */
    Config validated() {
        int r = rounds != null ? rounds : quick ? 1 : 3;
        if (r < 1 || r > 1000) {
            throw new IllegalArgumentException("--rounds must be 1 to 1000, got " + r);
        }
        Duration run = seconds("--seconds", seconds != null ? seconds : quick ? 3 : 10, false);
        Duration cold = seconds("--cold-seconds", coldSeconds != null ? coldSeconds : quick ? 3 : 10, false);
        if (inflight < 1 || inflight > Workload.MAX_INFLIGHT) {
            throw new IllegalArgumentException("--inflight must be 1 to " + Workload.MAX_INFLIGHT + ", got " + inflight);
        }
        long k = keys != null ? keys : quick ? 2_000 : 10_000;
        if (k < 1 || k > 10_000_000) {
            throw new IllegalArgumentException("--keys must be 1 to 10000000, got " + k);
        }
        int valueBytes = Sizes.parse(valueSize);
        List<String> names = workloads != null ? workloads : quick ? QUICK_WORKLOADS : FULL_WORKLOADS;
        List<Workload> ws = new ArrayList<>();
        for (String name : distinct("--workloads", names)) {
            ws.add(Workload.parse(name, inflight, valueBytes));
        }
        List<ContenderKind> cs = new ArrayList<>();
        for (String name : distinct("--contenders", contenders)) {
            cs.add(ContenderKind.parse(name));
        }
        if (basePort < 1024 || basePort + PortPlan.SPAN - 1 > 65_535) {
            throw new IllegalArgumentException("--base-port must be 1024 to " + (65_536 - PortPlan.SPAN)
                    + ", got " + basePort);
        }
        if (cs.size() > PortPlan.MAX_CONTENDERS) {
            throw new IllegalArgumentException("at most " + PortPlan.MAX_CONTENDERS + " contenders, got " + cs.size());
        }
        Duration warm = seconds("--warmup", warmup != null ? warmup
                : quick ? 6 : (double) WARMUP_PER_CONTENDER_SECONDS * cs.size(), true);
        return new Config(r, run, warm, cold, List.copyOf(ws), List.copyOf(cs), k, valueBytes, basePort, dir, etcd);
    }

    private static List<String> distinct(String option, List<String> names) {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (String n : names) {
            String t = n.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException(option + " has an empty entry");
            }
            if (!seen.add(t)) {
                throw new IllegalArgumentException(option + " names " + t + " twice");
            }
        }
        if (seen.isEmpty()) {
            throw new IllegalArgumentException(option + " needs at least one entry");
        }
        return List.copyOf(seen);
    }

    private static Duration seconds(String option, double s, boolean zeroAllowed) {
        if (Double.isNaN(s) || s < 0 || (!zeroAllowed && s == 0) || s > 86_400) {
            throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? "0" : "more than 0")
                    + " to 86400 seconds, got " + s);
        }
        return Duration.ofNanos((long) (s * 1e9));
    }
}

package io.shardkv.kvctl;

import io.shardkv.client.KvClient;
import io.shardkv.kvctl.bench.BenchConfig;
import io.shardkv.kvctl.bench.BenchResult;
import io.shardkv.kvctl.bench.BenchRunner;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvctl bench}: a YCSB-style read/write mix with a fixed number of requests in flight. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Runs a YCSB-style workload and prints throughput, latency percentiles and errors.")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--read-ratio", paramLabel = "RATIO", defaultValue = "0.5", description = "Share of gets, 0..1 (default: ${DEFAULT-VALUE}).")
    double readRatio;
    @Option(names = "--keys", paramLabel = "N", defaultValue = "100000", description = "Number of keys (default: ${DEFAULT-VALUE}).")
    long keys;
    @Option(names = "--value-size", paramLabel = "BYTES", defaultValue = "100", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    int valueSize;
    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "16", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured time (default: ${DEFAULT-VALUE}).")
    Duration duration;
    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "Unmeasured time first (default: ${DEFAULT-VALUE}).")
    Duration warmup;
    @Option(names = "--key-distribution", defaultValue = "uniform", paramLabel = "uniform|zipfian",
            description = "Key popularity (default: ${DEFAULT-VALUE}).")
    String distribution;
    @Option(names = "--load", description = "Write every key once before the run.")
    boolean load;
    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    /** 1500 ms as "1500ms", 30 s as "30s". */
    static String human(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    @Override
    public Integer call() {
        BenchConfig.Distribution dist;
        switch (distribution.toLowerCase(Locale.ROOT)) {
            case "uniform":
                dist = BenchConfig.Distribution.UNIFORM;
                break;
            case "zipfian":
                dist = BenchConfig.Distribution.ZIPFIAN;
                break;
            default:
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--key-distribution must be uniform or zipfian, got '" + distribution + "'");
        }
        BenchConfig config;
        try {
            config = new BenchConfig(readRatio, keys, valueSize, concurrency, duration, warmup, dist, load, seed);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (KvClient client = Kvctl.root(spec).newClient()) {
            BenchRunner runner = new BenchRunner(client, config);
            out.printf("bench: read ratio %.2f, %d keys (%s), %d-byte values, %d in flight, %s warm-up, %s run%n",
                    readRatio, keys, distribution, valueSize, concurrency, human(warmup), human(duration));
            out.flush();
            if (load) {
                Duration took = runner.load();
                out.printf("loaded %d keys in %.1f s (%.0f puts/s)%n", keys, took.toNanos() / 1e9,
                        keys / Math.max(1e-9, took.toNanos() / 1e9));
                out.flush();
            }
            BenchResult result = runner.run();
            result.print(out);
        }
        return ExitCodes.OK;
    }
}

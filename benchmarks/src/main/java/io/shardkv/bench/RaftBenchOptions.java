package io.shardkv.bench;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/bench-raft}'s options, parsed with picocli like kvctl's. */
@Command(name = "bench-raft", mixinStandardHelpOptions = true,
        description = {"Three RaftServers in one JVM over gRPC on 127.0.0.1: replicated proposals per second,"
                + " and the CPU of idle, quiesced groups.",
                "Logging of the runtime is limited to SEVERE unless -Djava.util.logging.config.file is set."})
final class RaftBenchOptions {
    @Option(names = "--scenario", defaultValue = "throughput", paramLabel = "throughput|idle|all",
            description = "What to measure (default: ${DEFAULT-VALUE}).")
    String scenario;
    @Option(names = "--groups", defaultValue = "1,8,64", split = ",", paramLabel = "N",
            description = "Group counts of the throughput rows (default: ${DEFAULT-VALUE}).")
    List<Integer> groups;
    @Option(names = "--payloads", defaultValue = "16,1KiB", split = ",", converter = SizeConverter.class,
            paramLabel = "SIZE", description = "Payload sizes: 16, 1k, 1KiB, 1024 (default: ${DEFAULT-VALUE}).")
    List<Integer> payloads;
    @Option(names = "--concurrency", defaultValue = "64", description = "Proposals in flight in total (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--duration", defaultValue = "5", paramLabel = "SECONDS",
            description = "Measured seconds per row (default: ${DEFAULT-VALUE}).")
    double duration;
    @Option(names = "--warmup", defaultValue = "1", paramLabel = "SECONDS",
            description = "Warm-up seconds per row (default: ${DEFAULT-VALUE}).")
    double warmup;
    @Option(names = "--idle-groups", defaultValue = "1000", split = ",", paramLabel = "N",
            description = "Group counts of the idle rows, e.g. 1000,10000 (default: ${DEFAULT-VALUE}).")
    List<Integer> idleGroups;
    @Option(names = "--idle-window", defaultValue = "5", paramLabel = "SECONDS",
            description = "Seconds of CPU measurement, idle (default: ${DEFAULT-VALUE}).")
    double idleWindow;
    @Option(names = "--tick-ms", defaultValue = "100", description = "Raft tick in milliseconds (default: ${DEFAULT-VALUE}).")
    int tickMillis;

    /** Parses {@code args}; prints help and exits 0, or prints the problem and exits 2. */
    static RaftRuntimeBenchmark.Options parseOrExit(String name, String[] args) {
        RaftBenchOptions o = new RaftBenchOptions();
        CommandLine cli = new CommandLine(o);
        try {
            cli.parseArgs(args);
            if (cli.isUsageHelpRequested()) {
                cli.usage(System.out);
                System.exit(0);
            }
            return o.validated();
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            System.err.println(name + ": " + e.getMessage());
            cli.usage(System.err);
            System.exit(2);
            return null;
        }
    }

    RaftRuntimeBenchmark.Options validated() {
        if (!List.of("throughput", "idle", "all").contains(scenario)) {
            throw new IllegalArgumentException("--scenario must be throughput, idle or all, got '" + scenario + "'");
        }
        positive("--concurrency", concurrency);
        positive("--tick-ms", tickMillis);
        groups.forEach(g -> positive("--groups", g));
        idleGroups.forEach(g -> positive("--idle-groups", g));
        seconds("--duration", duration, false);
        seconds("--warmup", warmup, true);
        seconds("--idle-window", idleWindow, false);
        return new RaftRuntimeBenchmark.Options(scenario, List.copyOf(groups), List.copyOf(payloads), concurrency,
                duration, warmup, List.copyOf(idleGroups), idleWindow, tickMillis);
    }

    private static void positive(String option, long n) {
        if (n <= 0) {
            throw new IllegalArgumentException(option + " must be positive, got " + n);
        }
    }

    private static void seconds(String option, double d, boolean zeroAllowed) {
        if (Double.isNaN(d) || Double.isInfinite(d) || d < 0 || (!zeroAllowed && d == 0) || d > 86_400) {
            throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? "0" : "more than 0")
                    + " to 86400 seconds, got " + d);
        }
    }

    /** 16, 1k, 1KiB or 1024 bytes, up to 64 MiB. */
    static final class SizeConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            String lower = text.trim().toLowerCase(Locale.ROOT);
            int multiplier = 1;
            for (String suffix : List.of("kib", "kb", "k")) {
                if (lower.endsWith(suffix)) {
                    multiplier = 1024;
                    lower = lower.substring(0, lower.length() - suffix.length());
                    break;
                }
            }
            if (lower.endsWith("b")) {
                lower = lower.substring(0, lower.length() - 1);
            }
            long n;
            try {
                n = Long.parseLong(lower.trim()) * multiplier;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a size (e.g. 16, 1k, 1KiB)");
            }
            if (n <= 0 || n > 64 * 1024 * 1024) {
                throw new CommandLine.TypeConversionException("size " + text + " must be between 1 B and 64 MiB");
            }
            return (int) n;
        }
    }
}

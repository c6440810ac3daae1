package io.shardkv.bench;

import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.CheckResult;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvModel;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.LinearizabilityChecker;
import io.shardkv.raft.linearizability.Operation;
import io.shardkv.raft.sim.RaftSimulation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Time the linearizability checker takes per history, with its reductions and without them (the
 * plain Wing &amp; Gong / Lowe search it had before), on the histories of the Raft simulation's
 * seeds. Not a test: it asserts nothing and prints percentiles.
 *
 * <p>The histories are made first (the simulation's own cost is not measured), then each is
 * checked by both checkers, alternating which goes first, after a warm-up over the first
 * histories. Both use the default step budget, so the plain checker's time on an undecided
 * history is the time it takes to give up.
 *
 * <p>Usage: {@code bin/bench-checker [--seeds N] [--first I] [--warmup N]}.
 */
public final class CheckerBenchmark {

    private record Variant(String name, LinearizabilityChecker<Optional<String>, KvInput, KvOutput> checker) {
    }

    private static final class Tally {
        final long[] nanos;
        long steps;
        int undecided;
        int illegal;

        Tally(int n) {
            nanos = new long[n];
        }
    }

    private CheckerBenchmark() {
    }

    /** {@code bin/bench-checker}'s options. */
    @Command(name = "bench-checker", mixinStandardHelpOptions = true,
            description = "Time per history of the linearizability checker, with and without its reductions,"
                    + " on the Raft simulation's histories.")
    static final class Options {
        @Option(names = "--seeds", defaultValue = "2000", description = "Histories (seeds) to check (default: ${DEFAULT-VALUE}).")
        int seeds;
        @Option(names = "--first", defaultValue = "0", description = "Index of the first seed (default: ${DEFAULT-VALUE}).")
        int first;
        @Option(names = "--warmup", defaultValue = "300", description = "Histories checked before measuring (default: ${DEFAULT-VALUE}).")
        int warmup;
    }

    public static void main(String[] args) {
        Options o = new Options();
        CommandLine cli = new CommandLine(o);
        try {
            cli.parseArgs(args);
            if (o.seeds <= 0 || o.first < 0 || o.warmup < 0) {
                throw new CommandLine.ParameterException(cli, "--seeds must be positive, --first and --warmup at least 0");
            }
        } catch (CommandLine.ParameterException e) {
            System.err.println("bench-checker: " + e.getMessage());
            cli.usage(System.err);
            System.exit(2);
            return;
        }
        if (cli.isUsageHelpRequested()) {
            cli.usage(System.out);
            return;
        }
        int seeds = o.seeds;
        int first = o.first;
        int warmup = o.warmup;
        System.out.printf("making the histories of simulation seeds %d..%d%n", first, first + seeds - 1);
        List<List<Operation<KvInput, KvOutput>>> histories = new ArrayList<>(seeds);
        long ops = 0;
        for (int i = first; i < first + seeds; i++) {
            List<Operation<KvInput, KvOutput>> h = RaftSimulation.history(RaftSimulation.seedAt(i), 10_000);
            histories.add(h);
            ops += h.size();
        }
        System.out.printf("%d histories, %.0f operations each on average%n", seeds, (double) ops / seeds);

        Variant[] variants = {
            new Variant("reduced", KvModel.checker()),
            new Variant("plain", KvModel.checker().withoutReductions()),
        };
        for (int i = 0; i < Math.min(warmup, histories.size()); i++) {
            for (Variant v : variants) {
                v.checker().check(histories.get(i));
            }
        }
        Tally[] tallies = {new Tally(seeds), new Tally(seeds)};
        for (int i = 0; i < histories.size(); i++) {
            for (int k = 0; k < variants.length; k++) {
                int which = (i + k) % variants.length; // alternate who goes first
                long start = System.nanoTime();
                CheckReport<KvInput, KvOutput> r = variants[which].checker().check(histories.get(i));
                long took = System.nanoTime() - start;
                Tally t = tallies[which];
                t.nanos[i] = took;
                t.steps += r.steps();
                t.undecided += r.result() == CheckResult.UNKNOWN ? 1 : 0;
                t.illegal += r.result() == CheckResult.ILLEGAL ? 1 : 0;
            }
        }
        System.out.printf("%-8s %10s %10s %10s %10s %12s %10s %8s%n", "checker", "p50 us", "p99 us", "p999 us",
                "max ms", "total ms", "steps/hist", "undecided");
        for (int k = 0; k < variants.length; k++) {
            Tally t = tallies[k];
            long[] sorted = t.nanos.clone();
            Arrays.sort(sorted);
            System.out.printf("%-8s %10.1f %10.1f %10.1f %10.1f %12.1f %10d %8d%n", variants[k].name(),
                    micros(percentile(sorted, 0.50)), micros(percentile(sorted, 0.99)),
                    micros(percentile(sorted, 0.999)), sorted[sorted.length - 1] / 1e6,
                    Arrays.stream(sorted).sum() / 1e6, t.steps / seeds, t.undecided);
            if (t.illegal > 0) {
                System.out.println("  " + t.illegal + " histories ILLEGAL: a bug in the core or the checker");
            }
        }
        long reduced = Arrays.stream(tallies[0].nanos).sum();
        long plain = Arrays.stream(tallies[1].nanos).sum();
        System.out.printf("total time plain / reduced: %.1fx%n", (double) plain / Math.max(1, reduced));
    }

    private static long percentile(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static double micros(long nanos) {
        return nanos / (double) TimeUnit.MICROSECONDS.toNanos(1);
    }
}

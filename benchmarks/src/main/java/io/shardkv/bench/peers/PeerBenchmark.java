package io.shardkv.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine;

/**
 * {@code bin/bench-peers}: ShardKV against etcd, on this machine, with one driver.
 *
 * <p>Order of work: start every contender's warm instance; write {@code --keys} keys into each;
 * warm up (two passes over the contenders with 50 % reads, so the JIT of the driver, both client
 * libraries and ShardKV's servers has seen both paths); then, per round, per workload, each
 * contender in turn. Alternating within a round means a slow minute of the machine hurts all
 * contenders of that round alike, which is why ratios are taken round by round. A {@code cold}
 * workload starts a fresh instance of the contender, measures it at once and stops it.
 */
public final class PeerBenchmark {
    private static final int LOAD_INFLIGHT = 64;
    private static final int WARMUP_PASSES = 2;

    private final PeerBenchOptions.Config config;
    private final ContenderKind.Environment env;
    private final Path dir;
    private final Closer closer;

    private PeerBenchmark(PeerBenchOptions.Config config, ContenderKind.Environment env, Path dir, Closer closer) {
        this.config = config;
        this.env = env;
        this.dir = dir;
        this.closer = closer;
    }

    public static void main(String[] args) throws Exception {
        PeerBenchOptions.Config config = parseOrExit(args);
        boolean withEtcd = config.contenders().stream().anyMatch(k -> k instanceof ContenderKind.Etcd);
        Optional<Path> etcd = EtcdBinary.find(config.etcd());
        if (withEtcd && etcd.isEmpty()) {
            System.err.println("bench-peers: " + (config.etcd() != null ? config.etcd() + " is not executable"
                    : "etcd is not installed (no etcd on the PATH)") + "; " + EtcdBinary.HOW_TO_INSTALL);
            System.exit(1);
        }
        if (System.getProperty("java.util.logging.config.file") == null) {
            // Vert.x and gRPC log reconnects; keep the output to the tables.
            java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.SEVERE);
        }
        Path repoRoot = Path.of(System.getProperty("shardkv.root", ".")).toAbsolutePath().normalize();
        Closer closer = new Closer();
        Runtime.getRuntime().addShutdownHook(new Thread(closer::close, "bench-peers-cleanup"));
        int exit;
        try {
            Path dir = config.dir() != null ? Files.createDirectories(config.dir())
                    : Files.createTempDirectory("shardkv-bench-peers");
            if (config.dir() == null) {
                closer.register(() -> Dirs.deleteRecursively(dir));
            }
            EtcdClientLoader loader = withEtcd ? closer.register(EtcdClientLoader.over(EtcdClientLoader.defaultLibDir()))
                    : null;
            ContenderKind.Environment env = new ContenderKind.Environment(repoRoot, etcd.orElse(null), loader);
            new PeerBenchmark(config, env, dir, closer).run();
            exit = 0;
        } catch (RuntimeException e) {
            System.err.println("bench-peers: " + e.getMessage());
            e.printStackTrace(System.err);
            exit = 1;
        } finally {
            closer.close();
        }
        // gRPC and Vert.x may leave non-daemon threads behind; everything is printed and closed.
        System.exit(exit);
    }

    private void run() throws InterruptedException {
        printHeader();
        List<Contender> warm = new ArrayList<>();
        for (int i = 0; i < config.contenders().size(); i++) {
            ContenderKind kind = config.contenders().get(i);
            long t0 = System.nanoTime();
            Path home = dir.resolve(kind.name());
            int port = PortPlan.warm(config.basePort(), i);
            closer.register(kind.leftovers(env, home, port));
            warm.add(closer.register(kind.start(env, home, port)));
            progress("%s started in %.1f s", kind.name(), (System.nanoTime() - t0) / 1e9);
        }
        byte[] value = Requests.value(config.valueBytes(), 1);
        for (Contender c : warm) {
            RunResult load = ClosedLoopDriver.run(c, Requests.load(config.keys(), value), LOAD_INFLIGHT,
                    Duration.ofMinutes(30));
            progress("%s: wrote %d keys in %.1f s (%d errors%s)", c.name(), load.ops(), load.seconds(),
                    load.errors(), load.firstError() == null ? "" : ", first: " + load.firstError());
        }
        Duration slice = config.warmup().dividedBy((long) WARMUP_PASSES * warm.size());
        if (!slice.isZero()) {
            for (int pass = 1; pass <= WARMUP_PASSES; pass++) {
                for (Contender c : warm) {
                    RunResult r = ClosedLoopDriver.run(c, Requests.mix(config.keys(), 50, value),
                            LOAD_INFLIGHT, slice);
                    progress("warm-up %d/%d %s: %.0f ops/s", pass, WARMUP_PASSES, c.name(), r.opsPerSecond());
                }
            }
        }
        Results results = new Results(config.contenders().get(0).name());
        for (int round = 1; round <= config.rounds(); round++) {
            for (Workload w : config.workloads()) {
                for (int i = 0; i < warm.size(); i++) {
                    RunResult r = w.cold() ? coldRun(w, i, round) : warmRun(w, warm.get(i));
                    results.add(w, config.contenders().get(i).name(), r);
                    progress("round %d %-10s %-11s %8.0f ops/s  p99 %7.2f ms  errors %d%s", round, w.name(),
                            config.contenders().get(i).name(), r.opsPerSecond(),
                            r.latencyMicros().getValueAtPercentile(99) / 1000.0, r.errors(),
                            r.firstError() == null ? "" : " (first: " + r.firstError() + ")");
                }
            }
        }
        System.out.println();
        for (Workload w : config.workloads()) {
            System.out.println(results.format(w.name()));
        }
        System.out.println("## Markdown");
        System.out.print(results.markdown());
    }

    private RunResult warmRun(Workload w, Contender c) throws InterruptedException {
        Requests requests = Requests.mix(config.keys(), w.readPercent(), Requests.value(w.valueBytes(), 2));
        return ClosedLoopDriver.run(c, requests, w.inflight(), config.run());
    }

    /** A fresh instance, measured from the moment it reports itself ready, then stopped and deleted. */
    private RunResult coldRun(Workload w, int index, int round) throws InterruptedException {
        ContenderKind kind = config.contenders().get(index);
        Path home = dir.resolve(kind.name() + "-" + w.name() + "-" + round);
        int port = PortPlan.cold(config.basePort(), index);
        AutoCloseable leftovers = closer.register(kind.leftovers(env, home, port));
        Contender fresh = closer.register(kind.start(env, home, port));
        try {
            Requests requests = Requests.mix(config.keys(), 0, Requests.value(w.valueBytes(), 3));
            if (w.coldDelaySeconds() > 0) {
                // Writes from the start, as an application would send them; only the later window counts.
                ClosedLoopDriver.run(fresh, requests, w.inflight(), Duration.ofSeconds(w.coldDelaySeconds()));
            }
            return ClosedLoopDriver.run(fresh, requests, w.inflight(), config.cold());
        } finally {
            closer.closeNow(fresh);
            closer.closeNow(leftovers);
        }
    }

    private void printHeader() {
        String load;
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            load = "unknown";
        }
        System.out.printf(Locale.ROOT, "# bench-peers %s: %d CPUs, Java %s, %s; load average at start: %s%n",
                LocalDate.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                env.etcdBinary() == null ? "no etcd" : etcdVersion(), load);
        System.out.printf(Locale.ROOT, "# contenders %s; %d round(s) of %.1f s per run (cold: %.1f s); warm-up %.1f s;"
                        + " %d keys of %d B, values %d B; data in %s%n",
                config.contenders().stream().map(ContenderKind::name).toList(), config.rounds(),
                config.run().toMillis() / 1e3, config.cold().toMillis() / 1e3, config.warmup().toMillis() / 1e3,
                config.keys(), Requests.KEY_BYTES, config.valueBytes(), dir);
    }

    private String etcdVersion() {
        try {
            return EtcdBinary.version(env.etcdBinary());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "etcd";
        }
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "bench-peers: " + format + "%n", args);
    }

    private static PeerBenchOptions.Config parseOrExit(String[] args) {
        PeerBenchOptions o = new PeerBenchOptions();
        CommandLine cli = new CommandLine(o);
        try {
            cli.parseArgs(args);
            if (cli.isUsageHelpRequested()) {
                cli.usage(System.out);
                System.exit(0);
            }
            if (cli.isVersionHelpRequested()) {
                cli.printVersionHelp(System.out);
                System.exit(0);
            }
            return o.validated();
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            System.err.println("bench-peers: " + e.getMessage() + " (try --help)");
            System.exit(2);
            return null;
        }
    }
}

package io.shardkv.bench;

import io.shardkv.raft.runtime.RaftRequestException;
import io.shardkv.raft.runtime.RaftServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Measures the multi-raft runtime: three {@link RaftServer}s in this JVM, real gRPC on
 * 127.0.0.1, one RocksDB log engine each in a temporary directory.
 *
 * <ul>
 *   <li>{@code throughput}: a fixed number of proposals in flight, spread over the groups and
 *       sent to each group's leader; prints ops/s, latency percentiles and fsyncs.</li>
 *   <li>{@code idle}: many groups with nothing to do; prints the CPU they cost once quiesced.</li>
 * </ul>
 *
 * Results are indicative only; nothing asserts them.
 */
public final class RaftRuntimeBenchmark {

    private RaftRuntimeBenchmark() {
    }

    record Options(String scenario, List<Integer> groups, List<Integer> payloads, int concurrency, double duration,
                   double warmup, List<Integer> idleGroups, double idleWindow, long tickMillis) {
    }

    public static void main(String[] args) throws Exception {
        Options o = RaftBenchOptions.parseOrExit("bench-raft", args);
        if (System.getProperty("java.util.logging.config.file") == null) {
            // The transport logs every connect and disconnect; keep the output to the tables.
            java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.SEVERE);
        }
        System.out.printf(Locale.ROOT, "# 3 RaftServers in one JVM, gRPC on 127.0.0.1, RocksDB logs in a temp dir;"
                        + " %d CPUs, Java %s, tick %d ms%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), o.tickMillis());
        if (o.scenario().equals("throughput") || o.scenario().equals("all")) {
            throughput(o);
        }
        if (o.scenario().equals("idle") || o.scenario().equals("all")) {
            idle(o);
        }
        // gRPC and RocksDB may leave non-daemon threads behind; the results are printed.
        System.exit(0);
    }

    // ---------------------------------------------------------------- throughput

    static void throughput(Options o) throws InterruptedException {
        System.out.println();
        System.out.printf(Locale.ROOT, "## Replicated proposals: %d in flight, %.1f s warm-up, %.1f s measured%n",
                o.concurrency(), o.warmup(), o.duration());
        System.out.printf(Locale.ROOT, "%7s %8s %10s %9s %9s %9s %10s %12s %7s%n",
                "groups", "payload", "ops/s", "p50 ms", "p99 ms", "p999 ms", "fsyncs/s", "entries/fsync", "errors");
        for (int groups : o.groups()) {
            try (BenchCluster cluster = BenchCluster.start(o.tickMillis())) {
                for (long g = 1; g <= groups; g++) {
                    cluster.createGroup(g);
                }
                if (!cluster.awaitLeaders(groups, Duration.ofSeconds(60))) {
                    System.out.printf("%7d  no leader for every group within 60 s; skipped%n", groups);
                    continue;
                }
                for (int payload : o.payloads()) {
                    runRow(cluster, groups, payload, o);
                }
            }
        }
    }

    private static void runRow(BenchCluster cluster, int groups, int payload, Options o) throws InterruptedException {
        byte[] command = new byte[payload];
        ThreadLocalRandom.current().nextBytes(command);
        LoadGenerator load = new LoadGenerator(cluster, groups, command);
        load.start(o.concurrency());
        Thread.sleep((long) (o.warmup() * 1000));

        load.resetInterval();
        long syncs0 = cluster.syncCount();
        double entries0 = cluster.syncedEntries();
        long errors0 = load.errors.get();
        long t0 = System.nanoTime();
        Thread.sleep((long) (o.duration() * 1000));
        Histogram h = load.interval();
        long elapsed = System.nanoTime() - t0;
        long syncs = cluster.syncCount() - syncs0;
        double entries = cluster.syncedEntries() - entries0;
        long errors = load.errors.get() - errors0;
        load.stop();

        double secs = elapsed / 1e9;
        System.out.printf(Locale.ROOT, "%7d %8s %10.0f %9.2f %9.2f %9.2f %10.0f %12.1f %7d%n",
                groups, payload >= 1024 && payload % 1024 == 0 ? payload / 1024 + " KiB" : payload + " B",
                h.getTotalCount() / secs, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)),
                ms(h.getValueAtPercentile(99.9)), syncs / secs, syncs == 0 ? 0.0 : entries / syncs, errors);
        load.awaitDrained(Duration.ofSeconds(10));
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    /**
     * A closed loop of proposals: each slot proposes to its group's leader and, when the
     * proposal is applied there, proposes again. Refusals (not leader, busy) are retried after a
     * short pause and counted as errors.
     */
    static final class LoadGenerator {
        private final BenchCluster cluster;
        private final int groups;
        private final byte[] command;
        private final Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
        private final AtomicReferenceArray<RaftServer> leaders;
        private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-retry");
            t.setDaemon(true);
            return t;
        });
        final AtomicLong errors = new AtomicLong();
        private final AtomicLong inFlight = new AtomicLong();
        private volatile boolean running = true;

        LoadGenerator(BenchCluster cluster, int groups, byte[] command) {
            this.cluster = cluster;
            this.groups = groups;
            this.command = command;
            this.leaders = new AtomicReferenceArray<>(groups + 1);
        }

        void start(int concurrency) {
            for (int slot = 0; slot < concurrency; slot++) {
                send(1 + slot % groups);
            }
        }

        void resetInterval() {
            recorder.getIntervalHistogram();
        }

        Histogram interval() {
            return recorder.getIntervalHistogram();
        }

        void stop() {
            running = false;
        }

        void awaitDrained(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            retries.shutdownNow();
        }

        private void send(int group) {
            if (!running) {
                return;
            }
            RaftServer leader = leaders.get(group);
            if (leader == null) {
                leader = cluster.leaderOf(group);
                if (leader == null) {
                    retryLater(group);
                    return;
                }
                leaders.set(group, leader);
            }
            long start = System.nanoTime();
            inFlight.incrementAndGet();
            RaftServer target = leader;
            target.propose(group, command).whenComplete((result, failure) -> {
                inFlight.decrementAndGet();
                if (failure == null) {
                    recorder.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
                    send(group);
                    return;
                }
                errors.incrementAndGet();
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof RaftRequestException rre && rre.kind() == RaftRequestException.Kind.NOT_LEADER) {
                    RaftServer hinted = BenchCluster.isNone(rre.leaderHint()) ? null : cluster.server(rre.leaderHint());
                    leaders.compareAndSet(group, target, hinted);
                } else {
                    leaders.compareAndSet(group, target, null);
                }
                retryLater(group);
            });
        }

        private void retryLater(int group) {
            if (!running) {
                return;
            }
            inFlight.incrementAndGet();
            try {
                retries.schedule(() -> {
                    inFlight.decrementAndGet();
                    send(group);
                }, 5, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                inFlight.decrementAndGet();
            }
        }
    }

    // ---------------------------------------------------------------- idle groups

    static void idle(Options o) throws InterruptedException {
        System.out.println();
        System.out.printf(Locale.ROOT, "## Idle groups: CPU over a %.1f s window once quiesced%n", o.idleWindow());
        System.out.printf(Locale.ROOT, "%7s %9s %10s %10s %14s %13s%n",
                "groups", "leaders", "quiesced", "setup s", "process CPU %", "per server %");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int groups : o.idleGroups()) {
            long setup0 = System.nanoTime();
            try (BenchCluster cluster = BenchCluster.start(o.tickMillis())) {
                for (long g = 1; g <= groups; g++) {
                    cluster.createGroup(g);
                }
                Duration leaderTimeout = Duration.ofSeconds(60 + groups / 50);
                if (!cluster.awaitLeaders(groups, leaderTimeout)) {
                    System.out.printf(Locale.ROOT, "%7d  only %d groups had leaders after %d s; measuring anyway%n",
                            groups, cluster.groupsWithLeader(groups), leaderTimeout.toSeconds());
                }
                // Quiescence takes some election timeouts of silence; wait until most replicas sleep.
                long quiesceDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                double quiesced = cluster.quiescedFraction(groups);
                while (quiesced < 0.95 && System.nanoTime() < quiesceDeadline) {
                    Thread.sleep(250);
                    quiesced = cluster.quiescedFraction(groups);
                }
                double setup = (System.nanoTime() - setup0) / 1e9;

                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                Thread.sleep((long) (o.idleWindow() * 1000));
                long cpu = os.getProcessCpuTime() - cpu0;
                long wall = System.nanoTime() - t0;
                double quiescedAfter = cluster.quiescedFraction(groups);
                long leaders = cluster.groupsWithLeader(groups);
                double percent = cpu < 0 ? Double.NaN : 100.0 * cpu / wall;
                System.out.printf(Locale.ROOT, "%7d %9d %9.1f%% %10.1f %14.1f %13.1f%n",
                        groups, leaders, 100 * quiescedAfter, setup, percent, percent / 3);
            }
        }
        System.out.println("(CPU % is of one core: process CPU time / wall time; per server = total / 3.)");
    }
}

package io.shardkv.client.bench;

import io.shardkv.client.KvClient;
import io.shardkv.client.KvException;
import io.shardkv.client.MetaException;
import io.shardkv.client.ShardKvException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;

/**
 * Drives a workload through the async API with a fixed number of requests in flight: each
 * of {@code concurrency} chains issues its next operation when the previous one completes.
 * Completions are handled on one issuer thread, which alone touches the histograms and the
 * random generator, so none of them needs a lock; the caller reads them after every chain
 * has ended.
 */
public final class BenchRunner {
    private static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(5);

    private final KvClient client;
    private final BenchConfig config;
    private final byte[] value;

    public BenchRunner(KvClient client, BenchConfig config) {
        this.client = client;
        this.config = config;
        this.value = new byte[config.valueSize()];
        SplittableRandom random = new SplittableRandom(config.seed());
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) ('a' + random.nextInt(26));
        }
    }

    /** Writes every key once, {@code concurrency} at a time; returns the time it took. */
    public Duration load() {
        long start = System.nanoTime();
        runChains(new Phase() {
            private long nextKey;

            @Override
            public CompletableFuture<?> nextOperation(SplittableRandom random, Map<String, Histogram> unused) {
                if (nextKey >= config.keys()) {
                    return null;
                }
                return client.putAsync(key(nextKey++), value);
            }
        }, "load");
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** The warm-up then the measured run. */
    public BenchResult run() {
        KeyChooser keys = config.keyChooser();
        Map<String, Histogram> latencies = new HashMap<>();
        latencies.put("get", new Histogram(MAX_LATENCY_MICROS, 3));
        latencies.put("put", new Histogram(MAX_LATENCY_MICROS, 3));
        Map<String, Long> errors = new HashMap<>();
        long start = System.nanoTime();
        long measureFrom = start + config.warmup().toNanos();
        long end = measureFrom + config.duration().toNanos();
        runChains(new Phase() {
            @Override
            public CompletableFuture<?> nextOperation(SplittableRandom random, Map<String, Histogram> unused) {
                long now = System.nanoTime();
                if (now >= end) {
                    return null;
                }
                boolean read = random.nextDouble() < config.readRatio();
                byte[] key = key(keys.next(random));
                String op = read ? "get" : "put";
                CompletableFuture<?> f = read ? client.getAsync(key) : client.putAsync(key, value);
                return f.handle((result, error) -> {
                    long done = System.nanoTime();
                    if (now >= measureFrom && done <= end) {
                        if (error == null) {
                            latencies.get(op).recordValue(Math.min(MAX_LATENCY_MICROS, (done - now) / 1000));
                        } else {
                            errors.merge(op + " " + kind(error), 1L, Long::sum);
                        }
                    }
                    return null;
                });
            }
        }, "run");
        long measuredNanos = Math.max(0, Math.min(System.nanoTime(), end) - measureFrom);
        return new BenchResult(Duration.ofNanos(measuredNanos), latencies, errors);
    }

    private byte[] key(long index) {
        return BenchConfig.keyName(index).getBytes(StandardCharsets.UTF_8);
    }

    static String kind(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof KvException kv) {
            return kv.getClass().getSimpleName() + "(" + kv.code() + ")";
        }
        if (cause instanceof MetaException meta) {
            return "MetaException(" + meta.code() + ")";
        }
        if (cause instanceof ShardKvException) {
            return cause.getClass().getSimpleName();
        }
        return cause.getClass().getSimpleName();
    }

    /** One phase's operations; {@code nextOperation} returns null when the chain should stop. */
    private interface Phase {
        CompletableFuture<?> nextOperation(SplittableRandom random, Map<String, Histogram> unused);
    }

    private void runChains(Phase phase, String name) {
        ExecutorService issuer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-" + name + "-issuer");
            t.setDaemon(true);
            return t;
        });
        SplittableRandom random = new SplittableRandom(config.seed() ^ name.hashCode());
        CountDownLatch chains = new CountDownLatch(config.concurrency());
        Map<String, Long> loadErrors = new HashMap<>();
        try {
            for (int i = 0; i < config.concurrency(); i++) {
                issuer.execute(() -> step(phase, random, issuer, chains, loadErrors));
            }
            chains.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the " + name + " phase", e);
        } finally {
            issuer.shutdownNow();
        }
        if (!loadErrors.isEmpty()) {
            throw new IllegalStateException("the " + name + " phase failed: " + loadErrors);
        }
    }

    private void step(Phase phase, SplittableRandom random, ExecutorService issuer, CountDownLatch chains,
            Map<String, Long> failures) {
        CompletableFuture<?> operation;
        try {
            operation = phase.nextOperation(random, null);
        } catch (RuntimeException e) {
            failures.merge(kind(e), 1L, Long::sum);
            chains.countDown();
            return;
        }
        if (operation == null) {
            chains.countDown();
            return;
        }
        operation.whenCompleteAsync((result, error) -> {
            if (error != null) {
                // Only the load phase lets errors through (the run records its own); it must not lose keys.
                failures.merge(kind(error), 1L, Long::sum);
                chains.countDown();
                return;
            }
            step(phase, random, issuer, chains, failures);
        }, issuer);
    }
}

package io.shardkv.kvctl.bench;

import io.shardkv.client.KvClient;
import io.shardkv.client.KvException;
import io.shardkv.client.MetaException;
import io.shardkv.client.ShardKvException;
import io.shardkv.kv.proto.ErrorCode;
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
import org.HdrHistogram.Histogram;

/**
 * Drives a workload through the async API with a fixed number of requests in flight: each
 * of {@code concurrency} chains issues its next operation when the previous one completes.
 * Issuing and completion handling all run on one issuer thread, which alone touches the
 * histograms, the error counts and the random generator, so none of them needs a lock; the
 * caller reads them after every chain has ended (the latch orders it after the writes).
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
        Chains chains = new Chains("load") {
            private long nextKey;

            @Override
            Operation next() {
                return nextKey < config.keys() ? new Operation("put", System.nanoTime(),
                        client.putAsync(key(nextKey++), value)) : null;
            }

            @Override
            boolean completed(Operation op, Throwable error) {
                if (error != null) {
                    // A lost key would skew the run; stop this chain and report.
                    fail(error);
                    return false;
                }
                return true;
            }
        };
        chains.runToEnd();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** The warm-up then the measured run. */
    public BenchResult run() {
        KeyChooser keys = config.keyChooser();
        Map<String, Histogram> latencies = new HashMap<>();
        latencies.put("get", new Histogram(MAX_LATENCY_MICROS, 3));
        latencies.put("put", new Histogram(MAX_LATENCY_MICROS, 3));
        Map<String, Long> errors = new HashMap<>();
        long measureFrom = System.nanoTime() + config.warmup().toNanos();
        long end = measureFrom + config.duration().toNanos();
        Chains chains = new Chains("run") {
            @Override
            Operation next() {
                long now = System.nanoTime();
                if (now >= end) {
                    return null;
                }
                byte[] key = key(keys.next(random));
                return random.nextDouble() < config.readRatio()
                        ? new Operation("get", now, client.getAsync(key))
                        : new Operation("put", now, client.putAsync(key, value));
            }

            @Override
            boolean completed(Operation op, Throwable error) {
                long done = System.nanoTime();
                if (op.startNanos() >= measureFrom && done <= end) {
                    if (error == null) {
                        latencies.get(op.type()).recordValue(Math.min(MAX_LATENCY_MICROS, (done - op.startNanos()) / 1000));
                    } else {
                        errors.merge(op.type() + " " + kind(error), 1L, Long::sum);
                    }
                }
                return true;
            }
        };
        chains.runToEnd();
        long measuredNanos = Math.max(0, Math.min(System.nanoTime(), end) - measureFrom);
        return new BenchResult(Duration.ofNanos(measuredNanos), latencies, errors);
    }

    private byte[] key(long index) {
        return BenchConfig.keyName(index).getBytes(StandardCharsets.UTF_8);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** An error's kind for the report: the exception type and its code. */
    static String kind(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof KvException kv) {
            return kv.getClass().getSimpleName() + "(" + kv.code() + ")";
        }
        if (cause instanceof MetaException meta) {
            return "MetaException(" + meta.code() + ")";
        }
        return cause.getClass().getSimpleName();
    }

    /** One operation in flight. */
    private record Operation(String type, long startNanos, CompletableFuture<?> future) {
    }

    /** {@code concurrency} chains of operations, all handled on one issuer thread. */
    private abstract class Chains {
        final SplittableRandom random;
        private final String name;
        private final ExecutorService issuer;
        private final CountDownLatch running = new CountDownLatch(config.concurrency());
        private Throwable failure;

        Chains(String name) {
            this.name = name;
            this.random = new SplittableRandom(config.seed() ^ name.hashCode());
            this.issuer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "bench-" + name + "-issuer");
                t.setDaemon(true);
                return t;
            });
        }

        /** The next operation, already started, or null when the chain should end. */
        abstract Operation next();

        /** Handles a completion; false ends the chain. */
        abstract boolean completed(Operation op, Throwable error);

        void fail(Throwable error) {
            if (failure == null) {
                failure = unwrap(error);
            }
        }

        void runToEnd() {
            try {
                for (int i = 0; i < config.concurrency(); i++) {
                    issuer.execute(this::step);
                }
                running.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KvException(ErrorCode.TIMEOUT, "interrupted during the bench " + name + " phase", e);
            } finally {
                issuer.shutdownNow();
            }
            if (failure instanceof ShardKvException shardKv) {
                // The client's own failure says best what went wrong (and maps to kvctl's exit code).
                throw shardKv;
            }
            if (failure != null) {
                throw new KvException(ErrorCode.UNAVAILABLE, "the bench " + name + " phase failed: " + failure, failure);
            }
        }

        private void step() {
            Operation op;
            try {
                op = next();
            } catch (RuntimeException e) {
                fail(e);
                running.countDown();
                return;
            }
            if (op == null) {
                running.countDown();
                return;
            }
            op.future().whenCompleteAsync((result, error) -> {
                if (completed(op, error)) {
                    step();
                } else {
                    running.countDown();
                }
            }, issuer);
        }
    }
}

package io.shardkv.bench.peers;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The one load loop both stores are measured with: a closed loop keeping a fixed number of
 * requests in flight. Each completion records its latency and sends the next request from the
 * thread that completed it, so there is no thread per request and no pacing: the store's speed
 * sets the rate.
 *
 * <p>The window is fixed in time: requests that complete after it are neither counted nor
 * recorded (they are drained before the next run), and CPU times are read at its two ends.
 */
final class ClosedLoopDriver {
    /** How long requests still in flight at the end may take; longer than KvClient's 10 s deadline. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(15);
    /** The slowest latency the histogram keeps exactly; slower ones are recorded as this. */
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(2);

    private ClosedLoopDriver() {
    }

    /**
     * Runs {@code requests} against the contender with {@code inflight} requests in flight until
     * {@code window} has passed or the requests run out, whichever is first.
     */
    static RunResult run(Contender contender, Requests requests, int inflight, Duration window)
            throws InterruptedException {
        List<Long> pids = contender.serverPids();
        long serverCpu0 = ProcessCpu.nanosOf(pids);
        long clientCpu0 = ProcessCpu.selfNanos();
        long start = System.nanoTime();
        Loop loop = new Loop(contender.client(), requests, start + window.toNanos(), inflight);
        for (int i = 0; i < inflight; i++) {
            loop.sendUntilBlocked();
        }
        loop.finished.await(window.toNanos(), TimeUnit.NANOSECONDS);
        long end = Math.min(System.nanoTime(), loop.deadline);
        long clientCpu = ProcessCpu.selfNanos() - clientCpu0;
        long serverCpu = ProcessCpu.nanosOf(pids) - serverCpu0;
        if (!loop.finished.await(DRAIN_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
            System.err.printf("bench-peers: %s: %d requests still in flight %d s after the window; going on%n",
                    contender.name(), loop.finished.getCount(), DRAIN_TIMEOUT.toSeconds());
        }
        return new RunResult(loop.ops.sum(), loop.errors.sum(), (end - start) / 1e9,
                loop.latencies.getIntervalHistogram(), clientCpu, serverCpu, loop.firstError.get());
    }

    /** The shared state of the {@code inflight} request chains of one run. */
    private static final class Loop {
        final StoreClient client;
        final Requests requests;
        /** System.nanoTime() at which the window closes; no request is sent after it. */
        final long deadline;
        /** Counts down once per chain as it stops sending. */
        final CountDownLatch finished;
        final Recorder latencies = new Recorder(3);
        final LongAdder ops = new LongAdder();
        final LongAdder errors = new LongAdder();
        final AtomicReference<String> firstError = new AtomicReference<>();

        Loop(StoreClient client, Requests requests, long deadline, int inflight) {
            this.client = client;
            this.requests = requests;
            this.deadline = deadline;
            this.finished = new CountDownLatch(inflight);
        }

        /**
         * Sends requests of one chain until one is still pending (its completion continues the
         * chain) or the chain ends. Requests that complete at once loop here rather than recurse,
         * so a store that fails every request immediately cannot overflow the stack.
         */
        void sendUntilBlocked() {
            while (true) {
                long sent = System.nanoTime();
                if (sent - deadline >= 0) {
                    finished.countDown();
                    return;
                }
                CompletableFuture<?> f;
                try {
                    f = requests.next(client);
                } catch (RuntimeException e) {
                    f = CompletableFuture.failedFuture(e);
                }
                if (f == null) {
                    finished.countDown();
                    return;
                }
                if (!f.isDone()) {
                    f.whenComplete((r, e) -> {
                        record(sent, e);
                        sendUntilBlocked();
                    });
                    return;
                }
                record(sent, failureOf(f));
            }
        }

        private void record(long sent, Throwable failure) {
            long done = System.nanoTime();
            if (done - deadline > 0) {
                return;
            }
            if (failure == null) {
                ops.increment();
                latencies.recordValue(Math.max(1, Math.min(MAX_MICROS, (done - sent) / 1000)));
            } else {
                errors.increment();
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                firstError.compareAndSet(null, cause.toString());
            }
        }

        private static Throwable failureOf(CompletableFuture<?> done) {
            try {
                done.get();
                return null;
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return e;
            } catch (java.util.concurrent.CancellationException e) {
                return e;
            }
        }
    }
}

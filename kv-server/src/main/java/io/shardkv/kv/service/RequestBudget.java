package io.shardkv.kv.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.common.Limits;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of client requests a kv-server holds at once, from arrival to answer. Beyond the
 * budget a request is refused with SERVER_BUSY instead of being queued, so a burst of large
 * writes cannot exhaust the heap; one request always fits (the budget is at least twice the
 * largest). Thread-safe.
 */
final class RequestBudget {
    private final long maxBytes;
    private final AtomicLong inFlight = new AtomicLong();
    private final Counter refused;

    RequestBudget(long maxBytes, MeterRegistry registry) {
        if (maxBytes < 2 * Limits.MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("the request budget of " + maxBytes + " bytes must hold two of the"
                    + " largest requests (" + 2 * Limits.MAX_BATCH_BYTES + " bytes)");
        }
        this.maxBytes = maxBytes;
        Gauge.builder("shardkv.kv.requests.inflight.bytes", inFlight, AtomicLong::get)
                .description("bytes of client requests held, arrival to answer").register(registry);
        Gauge.builder("shardkv.kv.requests.inflight.bytes.max", () -> this.maxBytes).register(registry);
        refused = Counter.builder("shardkv.kv.requests.refused").tag("reason", "inflight_bytes")
                .description("requests refused with SERVER_BUSY: the in-flight request bytes were at the budget")
                .register(registry);
    }

    /** An eighth of the heap, between 32 MiB and 256 MiB: what the other bounds leave room for. */
    static long forHeap(long maxHeapBytes) {
        return Math.max(2 * Limits.MAX_BATCH_BYTES, Math.min(256L << 20, maxHeapBytes / 8));
    }

    long maxBytes() {
        return maxBytes;
    }

    /** Takes {@code bytes} from the budget; false (and nothing taken) if they do not fit. */
    boolean tryAcquire(long bytes) {
        while (true) {
            long now = inFlight.get();
            if (now + bytes > maxBytes) {
                refused.increment();
                return false;
            }
            if (inFlight.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        inFlight.addAndGet(-bytes);
    }

    long inFlightBytes() {
        return inFlight.get();
    }
}

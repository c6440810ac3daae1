package io.shardkv.raft.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition with a deadline; the failure message says what never happened. Shared
 * by the tests of the threaded parts (runtime, transport) and published in the test-jar.
 */
public final class Await {
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(20);

    private Await() {
    }

    public static void until(Supplier<String> what, BooleanSupplier condition) {
        until(DEFAULT_DEADLINE, what, condition);
    }

    public static void until(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what.get());
            }
            try {
                // Polling state that other threads (servers, transports) change; the deadline bounds it.
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what.get());
            }
        }
    }
}

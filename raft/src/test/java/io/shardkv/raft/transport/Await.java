package io.shardkv.raft.transport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline; the failure message says what never happened. */
final class Await {
    static final Duration DEADLINE = Duration.ofSeconds(20);

    private Await() {
    }

    static void until(Supplier<String> what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + DEADLINE + " waiting for: " + what.get());
            }
            try {
                // Polling state that the transports' own threads change; the deadline bounds it.
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what.get());
            }
        }
    }
}

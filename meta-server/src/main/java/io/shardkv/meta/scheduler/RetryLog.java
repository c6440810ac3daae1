package io.shardkv.meta.scheduler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Decides when a task's retry is worth a log line. A new kind of failure always is; the same one
 * again is logged once per {@code repeatMillis}, so that a task stuck on one failure for minutes
 * still shows in the recent log, with the failure's latest message, without a line per pass.
 */
final class RetryLog {
    private record Logged(String code, long atMillis) {
    }

    private final long repeatMillis;
    private final LongSupplier clockMillis;
    private final Map<Long, Logged> last = new ConcurrentHashMap<>();

    RetryLog(long repeatMillis, LongSupplier clockMillis) {
        this.repeatMillis = repeatMillis;
        this.clockMillis = clockMillis;
    }

    /** Whether this retry of {@code taskId} failing with {@code code} should be logged; if so, notes it. */
    boolean shouldLog(long taskId, String code) {
        long now = clockMillis.getAsLong();
        Logged before = last.get(taskId);
        if (before != null && before.code().equals(code) && now - before.atMillis() < repeatMillis) {
            return false;
        }
        last.put(taskId, new Logged(code, now));
        return true;
    }

    /** Forgets a task that ended. */
    void forget(long taskId) {
        last.remove(taskId);
    }
}

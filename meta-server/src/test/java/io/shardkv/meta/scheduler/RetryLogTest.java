package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryLogTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final RetryLog log = new RetryLog(30_000, now::get);

    @Test
    void aNewFailureIsLoggedAtOnceTheSameOneOncePerPeriod() {
        assertThat(log.shouldLog(7, "REFUSED@1:NOT_LEADER")).isTrue();
        now.addAndGet(29_999);
        assertThat(log.shouldLog(7, "REFUSED@1:NOT_LEADER")).as("the same failure within the period").isFalse();
        assertThat(log.shouldLog(8, "REFUSED@1:NOT_LEADER")).as("another task").isTrue();
        assertThat(log.shouldLog(7, "UNREACHABLE@2")).as("another failure").isTrue();
        now.addAndGet(30_000);
        assertThat(log.shouldLog(7, "UNREACHABLE@2")).as("the same failure a period later").isTrue();
        assertThat(log.shouldLog(7, "UNREACHABLE@2")).isFalse();
        log.forget(7);
        assertThat(log.shouldLog(7, "UNREACHABLE@2")).as("a task forgotten when it ended").isTrue();
    }
}

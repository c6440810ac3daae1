package io.shardkv.kv.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.shardkv.kv.proto.ErrorCode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The {@code shardkv.kv.requests{op, outcome}} timers, looked up once each: registering a timer
 * by name and tags on every request builds its id and hashes its tags, a cost paid per request
 * for nothing.
 */
final class RequestTimers {
    private final MeterRegistry registry;
    private final ConcurrentMap<String, AtomicReferenceArray<Timer>> byOp = new ConcurrentHashMap<>();

    RequestTimers(MeterRegistry registry) {
        this.registry = registry;
    }

    Timer of(String op, ErrorCode outcome) {
        AtomicReferenceArray<Timer> timers = byOp.computeIfAbsent(op,
                k -> new AtomicReferenceArray<>(ErrorCode.values().length));
        int i = outcome == ErrorCode.UNRECOGNIZED ? timers.length() - 1 : outcome.ordinal();
        Timer t = timers.get(i);
        if (t == null) {
            t = Timer.builder("shardkv.kv.requests").description("KvService requests by operation and outcome")
                    .tag("op", op).tag("outcome", outcome.name()).publishPercentiles(0.5, 0.99).register(registry);
            timers.set(i, t);
        }
        return t;
    }
}

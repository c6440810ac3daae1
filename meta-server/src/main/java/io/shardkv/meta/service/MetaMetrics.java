package io.shardkv.meta.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.shardkv.meta.proto.MetaError;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** The meta service's request meters: {@code shardkv.meta.requests{rpc, outcome}}. */
public final class MetaMetrics {
    private final MeterRegistry registry;

    public MetaMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records one answered request; the outcome is the error code in lower case ("ok", "not_leader", ...). */
    public void record(String rpc, MetaError error, long startNanos) {
        String outcome = error == null ? "ok" : error.getCode().name().toLowerCase(Locale.ROOT);
        Timer.builder("shardkv.meta.requests").description("Meta service requests by rpc and outcome")
                .tag("rpc", rpc).tag("outcome", outcome).register(registry)
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}

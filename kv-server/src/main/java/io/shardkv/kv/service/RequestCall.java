package io.shardkv.kv.service;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One KvService request in flight: answers it exactly once, in-band (gRPC status OK), and
 * records {@code shardkv.kv.requests{op, outcome}}.
 */
final class RequestCall<R> {
    private final String op;
    private final StreamObserver<R> observer;
    private final Function<KvError, R> errorResponse;
    private final MeterRegistry registry;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean answered = new AtomicBoolean();

    RequestCall(String op, StreamObserver<R> observer, Function<KvError, R> errorResponse, MeterRegistry registry) {
        this.op = op;
        this.observer = observer;
        this.errorResponse = errorResponse;
        this.registry = registry;
    }

    void ok(R response) {
        answer(response, ErrorCode.OK);
    }

    void fail(KvError error) {
        answer(errorResponse.apply(error), error.getCode());
    }

    private void answer(R response, ErrorCode outcome) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        Timer.builder("shardkv.kv.requests").description("KvService requests by operation and outcome")
                .tag("op", op).tag("outcome", outcome.name()).publishPercentiles(0.5, 0.99).register(registry)
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        observer.onNext(response);
        observer.onCompleted();
    }
}

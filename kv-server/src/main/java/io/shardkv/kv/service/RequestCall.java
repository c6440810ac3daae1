package io.shardkv.kv.service;

import io.grpc.stub.StreamObserver;
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
    private final RequestTimers timers;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean answered = new AtomicBoolean();
    private RequestBudget budget;
    private long heldBytes;

    RequestCall(String op, StreamObserver<R> observer, Function<KvError, R> errorResponse, RequestTimers timers) {
        this.op = op;
        this.observer = observer;
        this.errorResponse = errorResponse;
        this.timers = timers;
    }

    /**
     * Holds the request's {@code bytes} in the server's budget until it is answered; if they do
     * not fit, answers SERVER_BUSY at once and returns false.
     */
    boolean admit(RequestBudget budget, long bytes) {
        if (!budget.tryAcquire(bytes)) {
            fail(KvError.newBuilder().setCode(ErrorCode.SERVER_BUSY).setMessage("the server already holds "
                    + budget.inFlightBytes() + " bytes of requests (its limit is " + budget.maxBytes()
                    + "); retry with backoff").build());
            return false;
        }
        this.budget = budget;
        this.heldBytes = bytes;
        return true;
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
        if (budget != null) {
            budget.release(heldBytes);
        }
        timers.of(op, outcome).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        observer.onNext(response);
        observer.onCompleted();
    }
}

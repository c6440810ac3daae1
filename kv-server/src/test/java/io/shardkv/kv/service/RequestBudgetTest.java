package io.shardkv.kv.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.common.Limits;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.PutResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestBudgetTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void requestsBeyondTheBudgetAreRefusedBusyAndAnswersGiveTheBytesBack() {
        RequestBudget budget = new RequestBudget(2 * Limits.MAX_BATCH_BYTES, registry);
        List<PutResponse> answers = new ArrayList<>();
        StreamObserver<PutResponse> observer = new StreamObserver<>() {
            @Override
            public void onNext(PutResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
        RequestTimers timers = new RequestTimers(registry);
        RequestCall<PutResponse> first = new RequestCall<>("put", observer,
                e -> PutResponse.newBuilder().setError(e).build(), timers);
        RequestCall<PutResponse> second = new RequestCall<>("put", observer,
                e -> PutResponse.newBuilder().setError(e).build(), timers);
        RequestCall<PutResponse> third = new RequestCall<>("put", observer,
                e -> PutResponse.newBuilder().setError(e).build(), timers);
        assertThat(first.admit(budget, Limits.MAX_BATCH_BYTES)).isTrue();
        assertThat(second.admit(budget, Limits.MAX_BATCH_BYTES)).isTrue();
        assertThat(budget.inFlightBytes()).isEqualTo(2 * Limits.MAX_BATCH_BYTES);

        assertThat(third.admit(budget, 1)).isFalse();
        assertThat(answers).singleElement().satisfies(r -> {
            assertThat(r.getError().getCode()).isEqualTo(ErrorCode.SERVER_BUSY);
            assertThat(r.getError().getMessage()).contains("retry with backoff");
        });
        assertThat(registry.get("shardkv.kv.requests.refused").counter().count()).isEqualTo(1);

        first.ok(PutResponse.getDefaultInstance());
        first.ok(PutResponse.getDefaultInstance()); // answered once, released once
        assertThat(budget.inFlightBytes()).isEqualTo(Limits.MAX_BATCH_BYTES);
        second.fail(io.shardkv.kv.proto.KvError.newBuilder().setCode(ErrorCode.TIMEOUT).build());
        assertThat(budget.inFlightBytes()).isZero();
        assertThat(registry.get("shardkv.kv.requests.inflight.bytes").gauge().value()).isZero();
        // Each call is timed once, under its own outcome.
        assertThat(registry.get("shardkv.kv.requests").tags("op", "put", "outcome", "OK").timer().count()).isEqualTo(1);
        assertThat(registry.get("shardkv.kv.requests").tags("op", "put", "outcome", "TIMEOUT").timer().count())
                .isEqualTo(1);
        assertThat(registry.get("shardkv.kv.requests").tags("op", "put", "outcome", "SERVER_BUSY").timer().count())
                .isEqualTo(1);
    }

    @Test
    void theBudgetFollowsTheHeapWithinBounds() {
        assertThat(RequestBudget.forHeap(256L << 20)).isEqualTo(2 * Limits.MAX_BATCH_BYTES);
        assertThat(RequestBudget.forHeap(1L << 30)).isEqualTo(128L << 20);
        assertThat(RequestBudget.forHeap(64L << 30)).isEqualTo(256L << 20);
        assertThatThrownBy(() -> new RequestBudget(1 << 20, registry)).hasMessageContaining("two of the largest");
    }
}

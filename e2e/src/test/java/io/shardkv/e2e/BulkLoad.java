package io.shardkv.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.client.KvClient;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/** Loads many keys through a client's async puts, a bounded number in flight; fails the test on any error. */
final class BulkLoad {
    private BulkLoad() {
    }

    static void put(KvClient client, int count, int inFlight, IntFunction<String> key, IntFunction<byte[]> value)
            throws InterruptedException {
        Semaphore slots = new Semaphore(inFlight);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int i = 0; i < count && failed.get() == null; i++) {
            slots.acquire();
            client.putAsync(key.apply(i).getBytes(StandardCharsets.UTF_8), value.apply(i)).whenComplete((ok, e) -> {
                if (e != null) {
                    failed.compareAndSet(null, e);
                }
                slots.release();
            });
        }
        assertThat(slots.tryAcquire(inFlight, 2, TimeUnit.MINUTES)).as("the last puts finished").isTrue();
        assertThat(failed.get()).as("a put failed").isNull();
    }
}

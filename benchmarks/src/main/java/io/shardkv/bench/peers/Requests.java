package io.shardkv.bench.peers;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the driver's next request comes from. Called from many threads at once (each completion
 * sends the next request), so implementations are thread-safe.
 */
interface Requests {
    /** Keys are 16 bytes: "bench-" and ten digits. */
    int KEY_BYTES = 16;
    byte[] PREFIX = "bench-".getBytes(StandardCharsets.US_ASCII);

    /** Sends the next request, or returns null when there are no more. */
    CompletableFuture<?> next(StoreClient client);

    static byte[] key(long index) {
        if (index < 0 || index >= 10_000_000_000L) {
            throw new IllegalArgumentException("key index " + index + " does not fit ten digits");
        }
        // By hand, not String.format: the driver formats a key per request, and a profile showed
        // Formatter at 7 % of the driver's samples, CPU that would be charged to the store's client.
        byte[] key = new byte[KEY_BYTES];
        System.arraycopy(PREFIX, 0, key, 0, PREFIX.length);
        long rest = index;
        for (int i = KEY_BYTES - 1; i >= PREFIX.length; i--) {
            key[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        return key;
    }

    /** A random value; its content does not matter, and random bytes do not compress. */
    static byte[] value(int bytes, long seed) {
        byte[] v = new byte[bytes];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < bytes; i++) {
            v[i] = (byte) random.nextInt(256);
        }
        return v;
    }

    /** Gets and puts of uniformly random keys among the first {@code keys}, forever. */
    static Requests mix(long keys, int readPercent, byte[] value) {
        return client -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            byte[] key = key(random.nextLong(keys));
            return random.nextInt(100) < readPercent ? client.get(key) : client.put(key, value);
        };
    }

    /** One put of each of the first {@code keys} keys, so that reads find them. */
    static Requests load(long keys, byte[] value) {
        AtomicLong nextKey = new AtomicLong();
        return client -> {
            long k = nextKey.getAndIncrement();
            return k < keys ? client.put(key(k), value) : null;
        };
    }
}

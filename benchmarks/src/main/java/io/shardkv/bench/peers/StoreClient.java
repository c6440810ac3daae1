package io.shardkv.bench.peers;

import java.util.concurrent.CompletableFuture;

/**
 * What the driver needs of a store: an asynchronous put and get. The only type shared between
 * the driver and the etcd client, which lives in a class loader of its own
 * ({@link EtcdClientLoader}), so it uses JDK types only.
 */
public interface StoreClient extends AutoCloseable {

    /** Completes when the write is acknowledged (committed by a quorum). */
    CompletableFuture<?> put(byte[] key, byte[] value);

    /** Completes with the store's linearizable read of {@code key}. */
    CompletableFuture<?> get(byte[] key);

    @Override
    void close();
}

package io.shardkv.bench.peers;

import io.shardkv.client.KvClient;
import java.util.concurrent.CompletableFuture;

/** ShardKV through its client library, as an application uses it: the async API, linearizable reads. */
final class ShardKvStoreClient implements StoreClient {
    private final KvClient client;

    ShardKvStoreClient(KvClient client) {
        this.client = client;
    }

    @Override
    public CompletableFuture<?> put(byte[] key, byte[] value) {
        return client.putAsync(key, value);
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        return client.getAsync(key);
    }

    @Override
    public void close() {
        client.close();
    }
}

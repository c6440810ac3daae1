package io.shardkv.bench.peers.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.shardkv.bench.peers.StoreClient;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;

/**
 * etcd through jetcd, its Java client, with its defaults: requests spread over the members,
 * which forward writes to the leader; gets are linearizable (not serializable), like ShardKV's.
 *
 * <p>Loaded only by {@code EtcdClientLoader}, never by the application class loader: this class
 * and jetcd must see jetcd's Netty and grpc-netty, which are not on the driver's classpath.
 */
public final class JetcdStoreClient implements StoreClient {
    static {
        registerJetcdNameResolvers();
    }

    private final Client client;
    private final KV kv;

    /** Called reflectively by {@code EtcdClientLoader}. */
    public JetcdStoreClient(List<String> endpoints) {
        this.client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
        this.kv = client.getKVClient();
    }

    @Override
    public CompletableFuture<?> put(byte[] key, byte[] value) {
        return kv.put(ByteSequence.from(key), ByteSequence.from(value));
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        return kv.get(ByteSequence.from(key));
    }

    /**
     * jetcd turns its endpoints into targets such as {@code ip:///host:port,...}, resolved by
     * providers it lists in its jar's service file. gRPC's registry, loaded by the parent class
     * loader, never sees that file, so its providers are registered here. Their schemes (ip, http,
     * https, dns+srv) are not ones KvClient uses, so ShardKV's channels resolve as before.
     */
    private static void registerJetcdNameResolvers() {
        for (NameResolverProvider p : ServiceLoader.load(NameResolverProvider.class,
                JetcdStoreClient.class.getClassLoader())) {
            if (p.getClass().getName().startsWith("io.etcd.jetcd.")) {
                NameResolverRegistry.getDefaultRegistry().register(p);
            }
        }
    }

    @Override
    public void close() {
        client.close();
    }
}

package io.shardkv.bench.peers;

import java.nio.file.Path;
import java.util.List;

/** etcd with 3 members, driven through jetcd. */
final class EtcdContender implements Contender {
    private final EtcdCluster cluster;
    private final StoreClient client;

    private EtcdContender(EtcdCluster cluster, StoreClient client) {
        this.cluster = cluster;
        this.client = client;
    }

    static EtcdContender start(ContenderKind.Environment env, Path dir, int basePort) throws InterruptedException {
        EtcdCluster cluster = EtcdCluster.start(env.etcdBinary(), dir, basePort);
        try {
            return new EtcdContender(cluster, env.etcdClients().open(cluster.clientUrls()));
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public StoreClient client() {
        return client;
    }

    @Override
    public List<Long> serverPids() {
        return cluster.pids();
    }

    @Override
    public synchronized void close() {
        try {
            client.close();
        } finally {
            cluster.close();
        }
    }
}

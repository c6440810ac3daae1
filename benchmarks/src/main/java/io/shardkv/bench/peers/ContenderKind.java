package io.shardkv.bench.peers;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kind of store the benchmark can start: etcd (3 members) or ShardKV (3 meta-servers, 3
 * kv-servers) with some number of groups, in plaintext as etcd runs or with TLS. Named {@code etcd},
 * {@code shardkv-Ng} and {@code shardkv-Ng-tls}; a ShardKV name may end in {@code -bK}, the
 * client's requests in flight per group before it batches ({@code -b0}: no batching).
 */
sealed interface ContenderKind {
    Pattern SHARDKV = Pattern.compile("shardkv-([1-9][0-9]?)g(-tls)?(?:-b([0-9]{1,3}))?");

    String name();

    /** Ports this kind uses from its base port. */
    int portSpan();

    /** Starts a fresh instance with its data under {@code dir}; returns once it serves requests. */
    Contender start(Environment env, Path dir, int basePort) throws InterruptedException;

    /**
     * What stops whatever a {@link #start} interrupted half-way left behind (registered before the
     * start, because an interrupted start returns no contender to close). Safe when nothing is left.
     */
    AutoCloseable leftovers(Environment env, Path dir, int basePort);

    static ContenderKind parse(String name) {
        if (name.equals("etcd")) {
            return new Etcd();
        }
        Matcher m = SHARDKV.matcher(name);
        if (m.matches()) {
            return new ShardKv(Integer.parseInt(m.group(1)), m.group(2) != null,
                    m.group(3) == null ? -1 : Integer.parseInt(m.group(3)));
        }
        throw new IllegalArgumentException("unknown contender '" + name
                + "': use etcd, shardkv-Ng or shardkv-Ng-tls, optionally ending in -bK (e.g. shardkv-3g, shardkv-1g-b0)");
    }

    /** What starting a contender needs from outside: binaries, the repository, the etcd client loader. */
    record Environment(Path repoRoot, Path etcdBinary, EtcdClientLoader etcdClients) {
    }

    record Etcd() implements ContenderKind {
        @Override
        public String name() {
            return "etcd";
        }

        @Override
        public int portSpan() {
            return EtcdCluster.PORT_SPAN;
        }

        @Override
        public Contender start(Environment env, Path dir, int basePort) throws InterruptedException {
            return EtcdContender.start(env, dir, basePort);
        }

        @Override
        public AutoCloseable leftovers(Environment env, Path dir, int basePort) {
            // The members are this JVM's children, which Closer stops first; only their data remains.
            return () -> Dirs.deleteRecursively(dir);
        }
    }

    /**
     * @param tls      whether the servers speak TLS (kv-cluster's default) or plaintext, as etcd here
     * @param batching the client's requests in flight per group before it batches; negative for
     *                 KvClient's default
     */
    record ShardKv(int groups, boolean tls, int batching) implements ContenderKind {
        ShardKv(int groups, boolean tls) {
            this(groups, tls, -1);
        }

        @Override
        public String name() {
            return "shardkv-" + groups + "g" + (tls ? "-tls" : "") + (batching >= 0 ? "-b" + batching : "");
        }

        @Override
        public int portSpan() {
            return KvClusterCommand.PORT_SPAN;
        }

        @Override
        public Contender start(Environment env, Path dir, int basePort) throws InterruptedException {
            return ShardKvContender.start(new KvClusterCommand(env.repoRoot(), dir, basePort, groups, tls, batching));
        }

        @Override
        public AutoCloseable leftovers(Environment env, Path dir, int basePort) {
            // kv-cluster starts its servers detached, so only its own down stops them.
            return () -> ShardKvContender.stop(new KvClusterCommand(env.repoRoot(), dir, basePort, groups, tls,
                    batching));
        }
    }
}

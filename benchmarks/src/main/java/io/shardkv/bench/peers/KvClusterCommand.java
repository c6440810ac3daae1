package io.shardkv.bench.peers;

import io.shardkv.client.KvClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The one place that knows how the benchmark starts ShardKV and connects to it: the
 * {@code bin/kv-cluster} command lines (3 meta-servers, 3 kv-servers, G groups of 3 replicas) and
 * the client's settings. When {@code kv-cluster up} becomes TLS-secure by default, this class is
 * where the benchmark adds {@code --insecure} or hands the cluster's certificates to the client.
 *
 * @param repoRoot the repository, holding {@code bin/kv-cluster}
 * @param dir      the cluster's directory (data, logs, pids)
 * @param basePort kv-cluster's base port; meta-i serves clients on basePort + i - 1
 * @param groups   shard groups
 */
record KvClusterCommand(Path repoRoot, Path dir, int basePort, int groups) {
    static final int META_SERVERS = 3;
    static final int KV_SERVERS = 3;
    /** kv-cluster uses basePort .. basePort + 399. */
    static final int PORT_SPAN = 400;

    KvClusterCommand {
        if (groups < 1 || basePort < 1 || basePort + PORT_SPAN - 1 > 65_535) {
            throw new IllegalArgumentException("groups " + groups + " and base port " + basePort
                    + " must be positive, with " + PORT_SPAN + " ports free from the base port");
        }
    }

    List<String> up() {
        return List.of(script(), "up", "--dir", dir.toString(), "--base-port", Integer.toString(basePort),
                "--meta", Integer.toString(META_SERVERS), "--kv", Integer.toString(KV_SERVERS),
                "--groups", Integer.toString(groups));
    }

    List<String> down() {
        return List.of(script(), "down", "--dir", dir.toString(), "--purge");
    }

    /** The servers' names, whose pid files are {@code dir/NAME/pid}. */
    List<String> serverNames() {
        return IntStream.rangeClosed(1, META_SERVERS + KV_SERVERS)
                .mapToObj(i -> i <= META_SERVERS ? "meta-" + i : "kv-" + (i - META_SERVERS))
                .toList();
    }

    String metaEndpoints() {
        return String.join(",", IntStream.range(0, META_SERVERS)
                .mapToObj(i -> "127.0.0.1:" + (basePort + i)).toList());
    }

    /** The client an application would build, with a deadline long enough to ride out an election. */
    KvClient client() {
        return KvClient.builder().metaEndpoints(metaEndpoints()).requestDeadline(Duration.ofSeconds(10)).build();
    }

    private String script() {
        return repoRoot.resolve("bin").resolve("kv-cluster").toString();
    }
}

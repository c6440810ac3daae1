package io.shardkv.bench.peers;

import io.shardkv.client.KvClient;
import io.shardkv.security.ClientSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The one place that knows how the benchmark starts ShardKV and connects to it: the
 * {@code bin/kv-cluster} command lines (3 meta-servers, 3 kv-servers, G groups of 3 replicas) and
 * the client's settings: plaintext ({@code --insecure}) unless {@code tls}, then the certificates
 * kv-cluster made, with the admin user root.
 *
 * @param repoRoot the repository, holding {@code bin/kv-cluster}
 * @param dir      the cluster's directory (data, logs, pids)
 * @param basePort kv-cluster's base port; meta-i serves clients on basePort + i - 1
 * @param groups   shard groups
 * @param tls      whether the servers run with TLS (kv-cluster's default)
 * @param requestsInFlightPerGroup the client's batching setting
 *                 ({@code KvClient.Builder#requestsInFlightPerGroup}); negative for its default
 */
record KvClusterCommand(Path repoRoot, Path dir, int basePort, int groups, boolean tls, int requestsInFlightPerGroup) {
    KvClusterCommand(Path repoRoot, Path dir, int basePort, int groups, boolean tls) {
        this(repoRoot, dir, basePort, groups, tls, -1);
    }

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
        List<String> command = new java.util.ArrayList<>(List.of(script(), "up", "--dir", dir.toString(),
                "--base-port", Integer.toString(basePort), "--meta", Integer.toString(META_SERVERS),
                "--kv", Integer.toString(KV_SERVERS), "--groups", Integer.toString(groups)));
        if (!tls) {
            command.add("--insecure");
        }
        return List.copyOf(command);
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
        ClientSecurity security = tls ? ClientSecurity.certsDir(dir.resolve("certs"), "root") : ClientSecurity.insecure();
        KvClient.Builder builder = KvClient.builder().metaEndpoints(metaEndpoints()).security(security)
                .requestDeadline(Duration.ofSeconds(10));
        if (requestsInFlightPerGroup >= 0) {
            builder.requestsInFlightPerGroup(requestsInFlightPerGroup);
        }
        return builder.build();
    }

    private String script() {
        return repoRoot.resolve("bin").resolve("kv-cluster").toString();
    }
}

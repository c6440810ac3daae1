package io.shardkv.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Three etcd members on 127.0.0.1, started from the system's etcd binary (Debian's is 3.4), with
 * their data under one directory that {@link #close()} deletes. Member i serves clients on
 * basePort + i and peers on basePort + 10 + i.
 *
 * <p>Settings beyond the ports: a backend quota of 8 GiB and revision compaction keeping the
 * last 100,000 revisions, because the benchmark overwrites the same keys for many minutes and
 * etcd keeps every revision until it is compacted; an operator would compact too. WAL fsyncs
 * stay on, as ShardKV's do.
 */
final class EtcdCluster implements AutoCloseable {
    static final int MEMBERS = 3;
    static final int PORT_SPAN = 20;
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final List<String> clientUrls;
    private final List<Process> members = new ArrayList<>();
    private boolean closed;

    private EtcdCluster(Path dir, List<String> clientUrls) {
        this.dir = dir;
        this.clientUrls = clientUrls;
    }

    /** Starts the members and returns when every one reports itself healthy. */
    static EtcdCluster start(Path etcd, Path dir, int basePort) throws InterruptedException {
        List<String> clientUrls = IntStream.range(0, MEMBERS).mapToObj(i -> url(basePort + i)).toList();
        List<String> peerUrls = IntStream.range(0, MEMBERS).mapToObj(i -> url(basePort + 10 + i)).toList();
        for (int i = 0; i < MEMBERS; i++) {
            Ports.requireFree(basePort + i, "etcd member " + (i + 1));
            Ports.requireFree(basePort + 10 + i, "etcd member " + (i + 1));
        }
        String initialCluster = String.join(",", IntStream.range(0, MEMBERS)
                .mapToObj(i -> memberName(i) + "=" + peerUrls.get(i)).toList());
        // A token of its own, so members of an earlier run that were left behind never join this one.
        String token = "shardkv-bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        EtcdCluster cluster = new EtcdCluster(dir, clientUrls);
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < MEMBERS; i++) {
                List<String> command = List.of(etcd.toString(),
                        "--name", memberName(i), "--data-dir", dir.resolve(memberName(i)).toString(),
                        "--listen-client-urls", clientUrls.get(i), "--advertise-client-urls", clientUrls.get(i),
                        "--listen-peer-urls", peerUrls.get(i), "--initial-advertise-peer-urls", peerUrls.get(i),
                        "--initial-cluster", initialCluster, "--initial-cluster-token", token,
                        "--initial-cluster-state", "new",
                        "--quota-backend-bytes", Long.toString(8L << 30),
                        "--auto-compaction-mode", "revision", "--auto-compaction-retention", "100000",
                        "--logger", "zap", "--log-outputs", "stderr");
                Path log = dir.resolve(memberName(i) + ".log");
                cluster.members.add(new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start());
            }
            cluster.awaitHealthy();
            return cluster;
        } catch (IOException e) {
            cluster.close();
            throw new UncheckedIOException("cannot start etcd from " + etcd, e);
        } catch (RuntimeException | InterruptedException e) {
            cluster.close();
            throw e;
        }
    }

    List<String> clientUrls() {
        return clientUrls;
    }

    List<Long> pids() {
        return members.stream().map(Process::pid).toList();
    }

    private void awaitHealthy() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + HEALTH_TIMEOUT.toNanos();
        for (int i = 0; i < MEMBERS; i++) {
            while (!healthy(http, clientUrls.get(i))) {
                Process p = members.get(i);
                if (!p.isAlive()) {
                    throw new IllegalStateException("etcd " + memberName(i) + " exited with " + p.exitValue()
                            + "; see " + dir.resolve(memberName(i) + ".log"));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("etcd " + memberName(i) + " not healthy after "
                            + HEALTH_TIMEOUT.toSeconds() + " s; see " + dir.resolve(memberName(i) + ".log"));
                }
                Thread.sleep(50);
            }
        }
    }

    private static boolean healthy(HttpClient http, String clientUrl) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException notYet) {
            // Not listening yet, or no leader yet: poll again.
            return false;
        }
    }

    /** Stops the members (SIGTERM, then SIGKILL after 10 s) and deletes their data. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        members.forEach(Process::destroy);
        for (Process p : members) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        Dirs.deleteRecursively(dir);
    }

    private static String memberName(int i) {
        return "m" + (i + 1);
    }

    private static String url(int port) {
        return "http://127.0.0.1:" + port;
    }
}

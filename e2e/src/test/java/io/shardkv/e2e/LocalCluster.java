package io.shardkv.e2e;

import io.shardkv.security.ClientSecurity;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A cluster started with {@code bin/kv-cluster up} as real processes on 127.0.0.1, under a
 * test's temporary directory and on a free range of ports. Servers are named as the script
 * names them (meta-1.., kv-1..); kv-server N has server id N.
 */
final class LocalCluster implements AutoCloseable {
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);

    final Path dir;
    final int basePort;
    final int metaCount;
    final int kvCount;

    /** Variables the script runs with, e.g. SHARDKV_JAVA_OPTS for every server JVM it starts. */
    private final Map<String, String> env;

    private LocalCluster(Path dir, int basePort, int metaCount, int kvCount, Map<String, String> env) {
        this.dir = dir;
        this.basePort = basePort;
        this.metaCount = metaCount;
        this.kvCount = kvCount;
        this.env = env;
    }

    /** Starts a cluster and returns once every initial group has a leader. */
    static LocalCluster up(Path dir, int metas, int kvs, int groups, int replicas) {
        return up(dir, metas, kvs, groups, replicas, Map.of());
    }

    /** As {@link #up(Path, int, int, int, int)}, with {@code env} for every script run (restarts too). */
    static LocalCluster up(Path dir, int metas, int kvs, int groups, int replicas, Map<String, String> env) {
        int base = freeBasePort(metas, kvs);
        LocalCluster cluster = new LocalCluster(dir, base, metas, kvs, env);
        CommandResult r = cluster.script("up", "--meta", String.valueOf(metas), "--kv", String.valueOf(kvs),
                "--groups", String.valueOf(groups), "--replicas", String.valueOf(replicas),
                "--base-port", String.valueOf(base), "--timeout", "120");
        if (r.exitCode() != 0) {
            String logs = cluster.logTails();
            cluster.close();
            throw new AssertionError("kv-cluster up failed: " + r + "\n" + logs);
        }
        return cluster;
    }

    /** Runs {@code bin/kv-cluster COMMAND ... --dir DIR}. */
    CommandResult script(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(args));
        all.add("--dir");
        all.add(dir.toString());
        return Commands.run(SCRIPT_TIMEOUT, env, "kv-cluster", all.toArray(String[]::new));
    }

    /** Runs {@code bin/kvctl --meta <this cluster> args...}. */
    CommandResult kvctl(String... args) {
        List<String> all = new ArrayList<>(List.of("--meta", metaEndpoints()));
        all.addAll(List.of(args));
        return Commands.run(Duration.ofSeconds(90), Map.of("SHARDKV_CERTS_DIR", certsDir().toString()), "kvctl",
                all.toArray(String[]::new));
    }

    /** The certificates kv-cluster made: the CA, every server's, and the admin user root's. */
    Path certsDir() {
        return dir.resolve("certs");
    }

    /** TLS as the admin user root, as kvctl connects by default. */
    ClientSecurity clientSecurity() {
        return ClientSecurity.certsDir(certsDir(), "root");
    }

    String metaEndpoints() {
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < metaCount; i++) {
            endpoints.add("127.0.0.1:" + (basePort + i));
        }
        return String.join(",", endpoints);
    }

    long pid(String name) {
        try {
            return Long.parseLong(Files.readString(dir.resolve(name).resolve("pid")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isAlive(String name) {
        return ProcessHandle.of(pid(name)).map(ProcessHandle::isAlive).orElse(false);
    }

    /** kill -9 of one server, through the script a user would use. */
    void kill(String name) {
        CommandResult r = script("kill", name);
        assertThat(r.exitCode()).as("kv-cluster kill %s: %s", name, r).isZero();
    }

    /** SIGSTOP of one server through the script: frozen, its connections left open. */
    void pause(String name) {
        CommandResult r = script("pause", name);
        assertThat(r.exitCode()).as("kv-cluster pause %s: %s", name, r).isZero();
    }

    void resume(String name) {
        CommandResult r = script("resume", name);
        assertThat(r.exitCode()).as("kv-cluster resume %s: %s", name, r).isZero();
    }

    /** True while the server is stopped by a signal (state T in /proc). */
    boolean isPaused(String name) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid(name)), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
        } catch (IOException e) {
            return false;
        }
    }

    /** kv-server N's client address. */
    String kvClientAddress(long serverId) {
        return "127.0.0.1:" + (basePort + 100 + serverId - 1);
    }

    /** kv-server N's /metrics and /health address. */
    String kvHttpAddress(long serverId) {
        return "127.0.0.1:" + (basePort + 300 + serverId - 1);
    }

    void start(String name) {
        CommandResult r = script("start", name);
        assertThat(r.exitCode()).as("kv-cluster start %s: %s", name, r).isZero();
    }

    /** The last lines of every server's log, for failure messages. */
    String logTails() {
        StringBuilder sb = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= metaCount; i++) {
            names.add("meta-" + i);
        }
        for (int i = 1; i <= kvCount; i++) {
            names.add("kv-" + i);
        }
        for (String n : names) {
            Path log = dir.resolve(n).resolve("server.log");
            if (!Files.exists(log)) {
                continue;
            }
            try {
                List<String> lines = Files.readAllLines(log);
                sb.append("==== ").append(n).append(" (last 40 lines) ====\n");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                sb.append("cannot read ").append(log).append(": ").append(e).append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        CommandResult r = script("down");
        if (r.exitCode() != 0) {
            throw new AssertionError("kv-cluster down failed: " + r);
        }
    }

    /** A base port whose whole range (as bin/kv-cluster lays it out) is free right now. */
    private static int freeBasePort(int metas, int kvs) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + 400 * ThreadLocalRandom.current().nextInt(100);
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < metas; i++) {
                ports.addAll(List.of(base + i, base + 10 + i, base + 20 + i));
            }
            for (int i = 0; i < kvs; i++) {
                ports.addAll(List.of(base + 100 + i, base + 200 + i, base + 300 + i));
            }
            if (ports.stream().allMatch(LocalCluster::isFree)) {
                return base;
            }
        }
        throw new IllegalStateException("no free port range found for a local cluster");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

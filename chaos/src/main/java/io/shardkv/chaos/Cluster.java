package io.shardkv.chaos;

import io.shardkv.client.MetaAdmin;
import io.shardkv.kvctl.ClusterReadiness;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * The servers of one run: meta-1..M and kv-1..K, each in its own namespace, all on the same ports
 * of their own addresses. Owns their processes and an admin connection to the meta group.
 */
final class Cluster implements AutoCloseable {
    static final int META_CLIENT_PORT = 7000;
    static final int META_RAFT_PORT = 7010;
    static final int META_HTTP_PORT = 7020;
    static final int KV_CLIENT_PORT = 7100;
    static final int KV_RAFT_PORT = 7200;
    static final int KV_HTTP_PORT = 7300;
    /** Admin calls of the driver; short, so that the nemesis does not hang on a meta group that lost its quorum. */
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(3);

    private final Map<String, ServerProcess> servers = new LinkedHashMap<>();
    private final String metaEndpoints;
    private MetaAdmin admin;

    Cluster(ChaosSettings settings, Network network) {
        List<Node> metas = new ArrayList<>();
        for (int i = 1; i <= settings.metaServers(); i++) {
            metas.add(network.node("meta-" + i));
        }
        List<String> peers = new ArrayList<>();
        List<String> endpoints = new ArrayList<>();
        for (Node m : metas) {
            peers.add(m.id() + "=" + m.address() + ":" + META_RAFT_PORT);
            endpoints.add(m.address() + ":" + META_CLIENT_PORT);
        }
        this.metaEndpoints = String.join(",", endpoints);
        Path serversDir = settings.dir().resolve("servers");
        for (Node m : metas) {
            Path dir = serversDir.resolve(m.name());
            List<String> cmd = java(settings, settings.metaJavaOpts(), settings.metaClasspath(), m,
                    "io.shardkv.meta.MetaServerMain");
            cmd.addAll(List.of("--id", Long.toString(m.id()), "--data-dir", dir.toString(),
                    "--peers", String.join(",", peers),
                    "--listen", m.address() + ":" + META_CLIENT_PORT,
                    "--raft-listen", m.address() + ":" + META_RAFT_PORT,
                    "--http-listen", m.address() + ":" + META_HTTP_PORT,
                    "--initial-groups", Integer.toString(settings.groups()),
                    "--replicas", Integer.toString(settings.replicas())));
            servers.put(m.name(), new ServerProcess(m, cmd, dir));
        }
        for (int i = 1; i <= settings.kvServers(); i++) {
            Node k = network.node("kv-" + i);
            Path dir = serversDir.resolve(k.name());
            List<String> cmd = java(settings, settings.kvJavaOpts(), settings.kvClasspath(), k,
                    "io.shardkv.kv.KvServerMain");
            cmd.addAll(List.of("--id", Long.toString(k.id()), "--data-dir", dir.toString(),
                    "--meta", metaEndpoints,
                    "--listen", k.address() + ":" + KV_CLIENT_PORT,
                    "--raft-listen", k.address() + ":" + KV_RAFT_PORT,
                    "--http-listen", k.address() + ":" + KV_HTTP_PORT));
            servers.put(k.name(), new ServerProcess(k, cmd, dir));
        }
    }

    private static List<String> java(ChaosSettings settings, List<String> opts, String classpath, Node node,
                                     String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(settings.java());
        cmd.addAll(opts);
        cmd.add("-Dshardkv.node=" + node.name());
        // Wall-clock times in the servers' logs, to line them up with the run's events.
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        return cmd;
    }

    List<Node> nodes() {
        return servers.values().stream().map(ServerProcess::node).toList();
    }

    List<ServerProcess> servers() {
        return List.copyOf(servers.values());
    }

    ServerProcess server(String name) {
        ServerProcess s = servers.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no server " + name + " in " + servers.keySet());
        }
        return s;
    }

    String metaEndpoints() {
        return metaEndpoints;
    }

    MetaAdmin admin() {
        return admin;
    }

    /** Starts every server and waits (up to {@code timeout}) until every group has a leader and every slot an owner. */
    void start(Duration timeout, int groups) {
        servers.values().forEach(ServerProcess::start);
        admin = MetaAdmin.connect(metaEndpoints, ADMIN_TIMEOUT);
        long deadline = System.nanoTime() + timeout.toNanos();
        String missing = "no answer from the meta-servers";
        while (System.nanoTime() < deadline) {
            for (ServerProcess s : servers.values()) {
                if (!s.isAlive()) {
                    throw new ChaosException(s.name() + " exited during startup; the end of " + s.log() + ":\n"
                            + s.logTail(30));
                }
            }
            Optional<ClusterStatusResponse> status = status();
            if (status.isPresent()) {
                missing = ClusterReadiness.missing(status.get(), groups);
                if (missing == null && status.get().getServersCount() == countKv()) {
                    return;
                }
                if (missing == null) {
                    missing = status.get().getServersCount() + "/" + countKv() + " kv-servers reporting";
                }
            }
            // Polling the meta-server until the cluster is ready; the deadline bounds it.
            LockSupport.parkNanos(200_000_000L);
        }
        throw new ChaosException("the cluster was not ready in " + timeout.toSeconds() + " s: " + missing);
    }

    private long countKv() {
        return servers.values().stream().filter(s -> !s.node().isMeta()).count();
    }

    /** The meta leader's status, or empty when no meta-server answered in time. */
    Optional<ClusterStatusResponse> status() {
        try {
            return Optional.of(admin.clusterStatus());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The kv-server leading {@code groupId} as the meta-server last heard, if any. */
    static Optional<String> leaderOf(ClusterStatusResponse status, long groupId) {
        for (GroupLeader l : status.getLeadersList()) {
            if (l.getGroupId() == groupId && l.getLeaderServerId() != 0) {
                return Optional.of("kv-" + l.getLeaderServerId());
            }
        }
        return Optional.empty();
    }

    /** Groups that kv-server {@code name} leads, as the meta-server last heard. */
    static List<Long> groupsLedBy(ClusterStatusResponse status, String name) {
        List<Long> led = new ArrayList<>();
        for (GroupLeader l : status.getLeadersList()) {
            if (("kv-" + l.getLeaderServerId()).equals(name)) {
                led.add(l.getGroupId());
            }
        }
        return led;
    }

    /** Kills every server (SIGKILL; a paused one too). */
    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        for (ServerProcess s : servers.values()) {
            try {
                s.kill();
            } catch (RuntimeException e) {
                // The network teardown kills whatever is left in the namespaces.
            }
        }
    }
}

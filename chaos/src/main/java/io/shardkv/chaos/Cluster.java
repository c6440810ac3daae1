package io.shardkv.chaos;

import io.shardkv.security.CertsDir;
import io.shardkv.security.ClientSecurity;
import io.shardkv.security.Identity;
import io.shardkv.security.Role;
import io.shardkv.security.certs.CertFiles;
import io.shardkv.security.certs.CertificateAuthority;
import java.io.IOException;
import java.security.GeneralSecurityException;
import io.shardkv.client.MetaAdmin;
import io.shardkv.kvctl.ClusterReadiness;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.ServerStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final String metaEndpoints;
    private final Path certsDir;
    private ClientSecurity security;
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
        // The servers speak TLS as in production, so the faults also hit handshakes and reconnects.
        certsDir = settings.dir().resolve("certs");
        List<Node> kvs = new ArrayList<>();
        for (int i = 1; i <= settings.kvServers(); i++) {
            kvs.add(network.node("kv-" + i));
        }
        makeCertificates(metas, kvs);
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
                    "--replicas", Integer.toString(settings.replicas()), "--certs-dir", certsDir.toString()));
            servers.put(m.name(), new ServerProcess(m, cmd, dir));
        }
        for (Node k : kvs) {
            Path dir = serversDir.resolve(k.name());
            List<String> cmd = java(settings, settings.kvJavaOpts(), settings.kvClasspath(), k,
                    "io.shardkv.kv.KvServerMain");
            cmd.addAll(List.of("--id", Long.toString(k.id()), "--data-dir", dir.toString(),
                    "--meta", metaEndpoints,
                    "--listen", k.address() + ":" + KV_CLIENT_PORT,
                    "--raft-listen", k.address() + ":" + KV_RAFT_PORT,
                    "--http-listen", k.address() + ":" + KV_HTTP_PORT, "--certs-dir", certsDir.toString()));
            servers.put(k.name(), new ServerProcess(k, cmd, dir));
        }
    }

    private void makeCertificates(List<Node> metas, List<Node> kvs) {
        try {
            CertsDir dir = new CertsDir(certsDir);
            CertificateAuthority ca = CertificateAuthority.create(Duration.ofDays(30));
            CertFiles.write(ca.certificate(), dir.caCert(), ca.key(), dir.defaultCaKey(), true);
            Identity root = Identity.user("root", Role.ADMIN);
            CertificateAuthority.Issued admin = ca.issue(root, List.of(), Duration.ofDays(7));
            CertFiles.write(admin.certificate(), dir.cert(root), admin.key(), dir.key(root), true);
            for (Node n : metas) {
                issue(ca, dir, Identity.server(Role.META_SERVER, n.id()), n);
            }
            for (Node n : kvs) {
                issue(ca, dir, Identity.server(Role.KV_SERVER, n.id()), n);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new ChaosException("cannot make the cluster's certificates in " + certsDir + ": " + e.getMessage());
        }
    }

    private static void issue(CertificateAuthority ca, CertsDir dir, Identity who, Node node)
            throws IOException, GeneralSecurityException {
        CertificateAuthority.Issued issued = ca.issue(who, List.of(node.address()), Duration.ofDays(7));
        CertFiles.write(issued.certificate(), dir.cert(who), issued.key(), dir.key(who), true);
    }

    /** How the driver's clients reach the servers: TLS as the admin user root. */
    ClientSecurity security() {
        if (security == null) {
            security = ClientSecurity.certsDir(certsDir, "root");
        }
        return security;
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
        admin = MetaAdmin.connect(metaEndpoints, ADMIN_TIMEOUT, security());
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

    /**
     * Each group's leader as the kv-servers last reported it (each server reports its own role in
     * every heartbeat, once a second): the server reporting LEADER with the highest term. Unlike
     * the map's leader hints, which keep the last leader until another reports a higher term, a
     * group whose leader died has none here once its server stops reporting.
     */
    static Map<Long, String> reportedLeaders(ClusterStatusResponse status) {
        Map<Long, String> leaders = new TreeMap<>();
        Map<Long, Long> terms = new HashMap<>();
        for (ServerStatus s : status.getServersList()) {
            for (GroupReport r : s.getGroupsList()) {
                if (r.getRole().equals("LEADER") && r.getTerm() >= terms.getOrDefault(r.getGroupId(), -1L)) {
                    terms.put(r.getGroupId(), r.getTerm());
                    leaders.put(r.getGroupId(), "kv-" + s.getServerId() + " (term " + r.getTerm() + ")");
                }
            }
        }
        return leaders;
    }

    /** The kv-server leading {@code groupId} as last reported, if any. */
    static Optional<String> leaderOf(ClusterStatusResponse status, long groupId) {
        return Optional.ofNullable(reportedLeaders(status).get(groupId)).map(l -> l.substring(0, l.indexOf(' ')));
    }

    /** Groups that kv-server {@code name} leads, as last reported. */
    static List<Long> groupsLedBy(ClusterStatusResponse status, String name) {
        List<Long> led = new ArrayList<>();
        reportedLeaders(status).forEach((g, l) -> {
            if (l.startsWith(name + " ")) {
                led.add(g);
            }
        });
        return led;
    }

    /**
     * Why the cluster is not back to normal yet, or empty when it is: every server runs and is not
     * paused; every server's {@code /health} says ready; the meta group has a leader; every
     * kv-server heartbeats; and every replica of every group of the map reports the group's
     * current term with a leader, so a restarted or cut-off replica has rejoined its groups.
     * A fault caused before this holds would meet a cluster still short of a replica: two faults.
     */
    Optional<String> notRecovered() {
        for (ServerProcess s : servers.values()) {
            if (!s.isAlive() || s.isPaused()) {
                return Optional.of(s.name() + " is " + (s.isAlive() ? "paused" : "not running"));
            }
            int port = s.node().isMeta() ? META_HTTP_PORT : KV_HTTP_PORT;
            if (!healthy(s.node().address() + ":" + port)) {
                return Optional.of(s.name() + " is not ready (/health)");
            }
        }
        Optional<ClusterStatusResponse> status = status();
        if (status.isEmpty() || status.get().getMetaLeaderId() == 0) {
            return Optional.of("no meta leader answers");
        }
        Map<Long, ServerStatus> byServer = new HashMap<>();
        for (ServerStatus s : status.get().getServersList()) {
            byServer.put(s.getServerId(), s);
            if (s.getLastHeartbeatAgeMillis() > 3_000) {
                return Optional.of("kv-" + s.getServerId() + " last heartbeat " + s.getLastHeartbeatAgeMillis() + " ms ago");
            }
        }
        for (ShardGroupInfo g : status.get().getMap().getGroupsList()) {
            long term = -1;
            List<GroupReport> reports = new ArrayList<>();
            for (Replica r : g.getReplicasList()) {
                ServerStatus s = byServer.get(r.getServerId());
                GroupReport report = s == null ? null : s.getGroupsList().stream()
                        .filter(x -> x.getGroupId() == g.getId()).findFirst().orElse(null);
                if (report == null) {
                    return Optional.of("kv-" + r.getServerId() + " reports no replica of group " + g.getId());
                }
                reports.add(report);
                term = Math.max(term, report.getTerm());
            }
            for (int i = 0; i < reports.size(); i++) {
                GroupReport report = reports.get(i);
                if (report.getTerm() != term || report.getLeaderId() == 0) {
                    return Optional.of("kv-" + g.getReplicas(i).getServerId() + " is at term " + report.getTerm()
                            + " (leader " + report.getLeaderId() + ") in group " + g.getId() + ", whose term is " + term);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Each running server's Raft log syncs as its /metrics tell: count, mean and recent maximum
     * ({@code kv-1 954 syncs, mean 20 ms, max 4.61 s}). A long sync stalls every group of that
     * server (nothing is sent before it is durable), which explains slow elections on a busy disk.
     */
    List<String> logSyncStats() {
        List<String> out = new ArrayList<>();
        for (ServerProcess s : servers.values()) {
            if (!s.isAlive() || s.isPaused()) {
                continue;
            }
            int port = s.node().isMeta() ? META_HTTP_PORT : KV_HTTP_PORT;
            Optional<String> metrics = get(s.node().address() + ":" + port, "/metrics");
            if (metrics.isEmpty()) {
                continue;
            }
            double count = metric(metrics.get(), "raft_log_sync_seconds_count");
            double sum = metric(metrics.get(), "raft_log_sync_seconds_sum");
            double max = metric(metrics.get(), "raft_log_sync_seconds_max");
            if (count > 0) {
                out.add(String.format(java.util.Locale.ROOT, "%s %.0f syncs, mean %.0f ms, max %.2f s", s.name(), count,
                        sum / count * 1000, max));
            }
        }
        return out;
    }

    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                try {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private Optional<String> get(String hostPort, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + hostPort + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private boolean healthy(String hostPort) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + hostPort + "/health"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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

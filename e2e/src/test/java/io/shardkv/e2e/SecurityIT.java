package io.shardkv.e2e;

import static io.shardkv.e2e.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.shardkv.client.KvClient;
import io.shardkv.client.KvException;
import io.shardkv.client.MetaAdmin;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.HeartbeatResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.raft.proto.AppendEntriesReq;
import io.shardkv.raft.proto.RaftMessage;
import io.shardkv.raft.proto.RaftMessageBatch;
import io.shardkv.raft.proto.RaftTransportGrpc;
import io.shardkv.raft.testing.Await;
import io.shardkv.security.CertsDir;
import io.shardkv.security.ClientSecurity;
import io.shardkv.security.Identity;
import io.shardkv.security.PeerRule;
import io.shardkv.security.Role;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.TlsFiles;
import io.shardkv.security.certs.CertFiles;
import io.shardkv.security.certs.CertificateAuthority;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster from {@code bin/kv-cluster up}, secure by default, attacked from the outside:
 * plaintext, a foreign CA, a user without the admin role, a server certificate speaking for
 * another server, forged heartbeats and Raft messages; and a certificate rotated under load.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityIT {
    private static final Duration CALL = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static KvClient client;
    static MetaAdmin admin;
    static final List<ManagedChannel> channels = new ArrayList<>();
    static final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        // Certificates are checked for replacement twice a second, so rotation is quick to see.
        cluster = LocalCluster.up(dir.resolve("cluster"), 3, 3, 3, 3, Map.of("SHARDKV_CERT_RELOAD_MILLIS", "500"));
        client = KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.clientSecurity())
                .requestDeadline(Duration.ofSeconds(20)).build();
        admin = client.admin();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static ManagedChannel channel(String address, ChannelCredentials credentials) {
        ManagedChannel c = Grpc.newChannelBuilder(address, credentials).build();
        channels.add(c);
        return c;
    }

    private static String metaAddress(int i) {
        return "127.0.0.1:" + (cluster.basePort + i - 1);
    }

    private static String metaRaftAddress(int i) {
        return "127.0.0.1:" + (cluster.basePort + 10 + i - 1);
    }

    private static String kvRaftAddress(long id) {
        return "127.0.0.1:" + (cluster.basePort + 200 + id - 1);
    }

    /** TLS with a certificate kv-cluster made (a server's or a user's), trusting any ShardKV server. */
    private static ClientSecurity as(String certBaseName) {
        Path certs = cluster.certsDir();
        TlsFiles files = TlsFiles.load(certs.resolve("ca.crt"), certs.resolve(certBaseName + ".crt"),
                certs.resolve(certBaseName + ".key"), SecurityMetrics.unexported());
        closeables.add(files);
        return ClientSecurity.of(files);
    }

    private static ChannelCredentials anyServer(ClientSecurity security) {
        return security.channelCredentials(PeerRule.anyOf(Role.KV_SERVER, Role.META_SERVER));
    }

    @SuppressWarnings("unchecked")
    private static Object callWithDefaultRequest(ManagedChannel channel, MethodDescriptor<?, ?> method) {
        MethodDescriptor<Object, Object> m = (MethodDescriptor<Object, Object>) method;
        Object request = ((MethodDescriptor.PrototypeMarshaller<Object>) m.getRequestMarshaller()).getMessagePrototype();
        return ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT.withDeadlineAfter(CALL.toMillis(),
                TimeUnit.MILLISECONDS), request);
    }

    private static Status.Code codeOf(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static double metric(String httpAddress, String name) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + httpAddress + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            double sum = 0;
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(r.body());
            while (m.find()) {
                sum += Double.parseDouble(m.group(2));
            }
            return sum;
        } catch (Exception e) {
            throw new AssertionError("cannot read " + name + " from " + httpAddress, e);
        }
    }

    private static double kvMetric(long id, String name) {
        return metric(cluster.kvHttpAddress(id), name);
    }

    @Test
    @Order(1)
    void theQuickStartWorksWithTlsAndKvctlFindsTheCertificates() {
        CommandResult put = cluster.kvctl("put", "hello", "world");
        assertThat(put.exitCode()).as("%s", put).isZero();
        CommandResult get = cluster.kvctl("get", "hello");
        assertThat(get.stdout().trim()).isEqualTo("world");
        assertThat(client.get(utf8("hello")).map(Bytes::string)).contains("world");
    }

    @Test
    @Order(2)
    void plaintextIsRefusedOnEveryPort() {
        List<String> ports = List.of(metaAddress(1), metaRaftAddress(1), cluster.kvClientAddress(1), kvRaftAddress(1));
        double failedBefore = kvMetric(1, "security_handshakes_failed_total");
        for (String address : ports) {
            ManagedChannel plain = channel(address, InsecureChannelCredentials.create());
            assertThat(codeOf(() -> callWithDefaultRequest(plain, MetaServiceGrpc.getGetClusterMapMethod())))
                    .as("plaintext to %s", address).isEqualTo(Status.Code.UNAVAILABLE);
        }
        Await.until(CALL, () -> "kv-1 counted the plaintext connections",
                () -> kvMetric(1, "security_handshakes_failed_total") >= failedBefore + 2);
    }

    @Test
    @Order(3)
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other-ca"));
        CertificateAuthority foreign = CertificateAuthority.create(Duration.ofDays(2));
        CertsDir certs = new CertsDir(other);
        CertFiles.write(foreign.certificate(), certs.caCert(), foreign.key(), certs.defaultCaKey(), false);
        Identity root = Identity.user("root", Role.ADMIN);
        CertificateAuthority.Issued issued = foreign.issue(root, List.of(), Duration.ofDays(1));
        CertFiles.write(issued.certificate(), certs.cert(root), issued.key(), certs.key(root), false);
        // It trusts the cluster's CA as well, so only the servers' checks can stop it.
        Files.writeString(certs.caCert(), Files.readString(cluster.certsDir().resolve("ca.crt")),
                StandardOpenOption.APPEND);
        ClientSecurity stranger = ClientSecurity.certsDir(other, "root");
        closeables.add(stranger);
        double refusedBefore = kvMetric(1, "security_certificates_refused_total");
        ManagedChannel kv = channel(cluster.kvClientAddress(1), stranger.forKvServers());
        assertThat(codeOf(() -> callWithDefaultRequest(kv, KvAdminGrpc.getGroupStatusMethod())))
                .isEqualTo(Status.Code.UNAVAILABLE);
        ManagedChannel meta = channel(metaAddress(1), stranger.forMetaServers());
        assertThat(codeOf(() -> callWithDefaultRequest(meta, MetaServiceGrpc.getGetClusterMapMethod())))
                .isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(kvMetric(1, "security_certificates_refused_total")).isGreaterThan(refusedBefore);
    }

    @Test
    @Order(4)
    void aClientRoleCanReadAndWriteButNoAdminCall() {
        CommandResult made = cluster.kvctl("cert", "create-client", "app", "--role", "client");
        assertThat(made.exitCode()).as("%s", made).isZero();
        CommandResult put = cluster.kvctl("--user", "app", "put", "app-key", "v1");
        assertThat(put.exitCode()).as("%s", put).isZero();
        assertThat(cluster.kvctl("--user", "app", "get", "app-key").stdout().trim()).isEqualTo("v1");
        CommandResult groupAdd = cluster.kvctl("--user", "app", "group", "add");
        assertThat(groupAdd.exitCode()).as("%s", groupAdd).isEqualTo(5);
        assertThat(groupAdd.stderr()).contains("needs a certificate with role admin")
                .contains("names app with role client");

        ClientSecurity app = ClientSecurity.certsDir(cluster.certsDir(), "app");
        closeables.add(app);
        for (long kv = 1; kv <= 3; kv++) {
            ManagedChannel channel = channel(cluster.kvClientAddress(kv), app.forKvServers());
            for (MethodDescriptor<?, ?> m : KvAdminGrpc.getServiceDescriptor().getMethods()) {
                assertThat(codeOf(() -> callWithDefaultRequest(channel, m))).as("%s on kv-%d", m.getFullMethodName(), kv)
                        .isEqualTo(Status.Code.PERMISSION_DENIED);
            }
        }
        ManagedChannel meta = channel(metaAddress(1), app.forMetaServers());
        for (MethodDescriptor<?, ?> m : MetaServiceGrpc.getServiceDescriptor().getMethods()) {
            Status.Code expected = m.equals(MetaServiceGrpc.getGetClusterMapMethod()) ? Status.Code.OK
                    : Status.Code.PERMISSION_DENIED;
            assertThat(codeOf(() -> callWithDefaultRequest(meta, m))).as("%s", m.getFullMethodName()).isEqualTo(expected);
        }
        assertThat(kvMetric(1, "security_denied_total")).isGreaterThanOrEqualTo(
                KvAdminGrpc.getServiceDescriptor().getMethods().size());

        try (KvClient appClient = KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(app)
                .requestDeadline(Duration.ofSeconds(20)).build()) {
            appClient.put(utf8("app-key-2"), utf8("v2"));
            assertThat(appClient.get(utf8("app-key-2")).map(Bytes::string)).contains("v2");
        }
    }

    @Test
    @Order(5)
    void aServerCertificateCannotSpeakForAnotherServerOnTheRaftPort() {
        // kv-2's own certificate, claiming to be kv-1 in its hello to kv-3.
        assertThat(raftHello(as("server.kv-2"), 3, 1).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        // A meta-server's certificate has no business on a kv-server's Raft port.
        assertThat(raftHello(as("server.meta-1"), 3, 1).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        // A user's certificate neither.
        assertThat(raftHello(as("client.root"), 3, 1).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(kvMetric(3, "raft_transport_peers_refused_total")).isGreaterThanOrEqualTo(1);
        client.put(utf8("after-raft-probes"), utf8("ok"));
    }

    /** Opens a Raft stream to kv-{@code to} as {@code security}, says hello as server {@code claimed}; the refusal. */
    private static Status raftHello(ClientSecurity security, long to, long claimed) {
        ManagedChannel channel = channel(kvRaftAddress(to), anyServer(security));
        CompletableFuture<Status> ended = new CompletableFuture<>();
        StreamObserver<RaftMessageBatch> out = RaftTransportGrpc.newStub(channel).stream(new StreamObserver<>() {
            @Override
            public void onNext(RaftMessageBatch value) {
                ended.complete(Status.OK.withDescription("answered with a hello"));
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        });
        out.onNext(RaftMessageBatch.newBuilder().setFromServer(claimed).setToServer(to).build());
        Status status = ended.orTimeout(CALL.toSeconds(), TimeUnit.SECONDS).join();
        out.onCompleted();
        return status;
    }

    @Test
    @Order(6)
    void aHeartbeatCannotSpeakForAnotherServerNorMoveARunningOne() {
        ServerInfo before = server(2);
        // kv-1's certificate, heartbeating as server 2 from elsewhere.
        HeartbeatResponse forged = heartbeat(as("server.kv-1"), HeartbeatRequest.newBuilder().setServerId(2)
                .setAddress("127.0.0.1:1").setRaftAddress("127.0.0.1:2").build());
        assertThat(forged.getError().getCode()).isEqualTo(MetaErrorCode.PERMISSION_DENIED);
        assertThat(forged.getError().getMessage()).contains("speaks only for the server its certificate names");
        // kv-2's own certificate cannot move kv-2 while it runs either.
        HeartbeatResponse moved = heartbeat(as("server.kv-2"), HeartbeatRequest.newBuilder().setServerId(2)
                .setAddress("127.0.0.1:1").setRaftAddress("127.0.0.1:2").build());
        assertThat(moved.getError().getCode()).as("%s", moved).isIn(MetaErrorCode.PERMISSION_DENIED,
                MetaErrorCode.NOT_LEADER);
        // A user cannot heartbeat at all.
        ManagedChannel asRoot = channel(metaAddress(1), cluster.clientSecurity().forMetaServers());
        assertThat(codeOf(() -> MetaServiceGrpc.newBlockingStub(asRoot).withDeadlineAfter(10, TimeUnit.SECONDS)
                .heartbeat(HeartbeatRequest.newBuilder().setServerId(2).setAddress("127.0.0.1:1")
                        .setRaftAddress("127.0.0.1:2").build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
        ServerInfo after = server(2);
        assertThat(after.getAddress()).isEqualTo(before.getAddress());
        assertThat(after.getRaftAddress()).isEqualTo(before.getRaftAddress());
    }

    private static ServerInfo server(long id) {
        return admin.clusterStatus().getMap().getServersList().stream().filter(s -> s.getId() == id).findFirst()
                .orElseThrow();
    }

    /** Sends the heartbeat to the meta leader (each meta-server in turn until one leads). */
    private static HeartbeatResponse heartbeat(ClientSecurity as, HeartbeatRequest request) {
        HeartbeatResponse last = null;
        for (int i = 1; i <= 3; i++) {
            ManagedChannel c = channel(metaAddress(i), as.forMetaServers());
            last = MetaServiceGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS).heartbeat(request);
            if (last.getError().getCode() != MetaErrorCode.NOT_LEADER) {
                return last;
            }
        }
        return last;
    }

    @Test
    @Order(7)
    void aForgedAppendAtTheLeadersTermIsDroppedAndTheGroupServes() {
        AtomicReference<GroupLeader> led = new AtomicReference<>();
        Await.until(Duration.ofSeconds(90), () -> "kv-3 leads a group: " + admin.clusterStatus().getLeadersList(), () -> {
            ClusterStatusResponse status = admin.clusterStatus();
            status.getLeadersList().stream().filter(l -> l.getLeaderServerId() == 3).findFirst().ifPresent(led::set);
            return led.get() != null;
        });
        GroupLeader target = led.get();
        double impossibleBefore = kvMetric(3, "raft_messages_impossible_total");
        // kv-1's genuine certificate, so the transport lets it in; the message is what is forged:
        // an append at kv-3's own term, as if kv-1 led the group too.
        ManagedChannel channel = channel(kvRaftAddress(3), as("server.kv-1").channelCredentials(
                PeerRule.exactly(Identity.server(Role.KV_SERVER, 3))));
        StreamObserver<RaftMessageBatch> out = RaftTransportGrpc.newStub(channel).stream(new StreamObserver<>() {
            @Override
            public void onNext(RaftMessageBatch value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        out.onNext(RaftMessageBatch.newBuilder().setFromServer(1).setToServer(3).build());
        out.onNext(RaftMessageBatch.newBuilder().setFromServer(1).setToServer(3).addMessages(RaftMessage.newBuilder()
                .setGroupId(target.getGroupId()).setFrom(1).setTo(3).setAppendEntriesReq(AppendEntriesReq.newBuilder()
                        .setLeaderId(1).setTerm(target.getTerm()).setPrevLogIndex(0).setPrevLogTerm(0)
                        .setLeaderCommit(0))).build());
        Await.until(CALL, () -> "kv-3 counted the forged append",
                () -> kvMetric(3, "raft_messages_impossible_total") > impossibleBefore);
        out.onCompleted();
        for (int i = 0; i < 30; i++) {
            client.put(utf8("after-forgery-" + i), utf8("v" + i));
        }
        for (int i = 0; i < 30; i++) {
            assertThat(client.get(utf8("after-forgery-" + i)).map(Bytes::string)).contains("v" + i);
        }
    }

    @Test
    @Order(8)
    void aServerCertificateIsRotatedUnderLoadWithoutDowntime() throws Exception {
        String before = presentedSerial(1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ok = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            long i = 0;
            while (!stop.get()) {
                try {
                    client.put(utf8("rotate-" + (i % 100)), utf8("v" + i));
                    ok.incrementAndGet();
                    i++;
                } catch (KvException e) {
                    failure.compareAndSet(null, e);
                    return;
                }
            }
        }, "rotation-writer");
        writer.start();
        try {
            Await.until(CALL, () -> "the writer is running", () -> ok.get() > 20);
            CommandResult rotate = cluster.kvctl("cert", "create-server", "--kind", "kv", "1", "--overwrite");
            assertThat(rotate.exitCode()).as("%s", rotate).isZero();
            Await.until(Duration.ofSeconds(20), () -> "kv-1 presents its new certificate",
                    () -> !presentedSerial(1).equals(before));
            long atRotation = ok.get();
            // New connections to kv-1 (a fresh client) work with the new certificate.
            try (KvClient fresh = KvClient.builder().metaEndpoints(cluster.metaEndpoints())
                    .security(cluster.clientSecurity()).requestDeadline(Duration.ofSeconds(20)).build()) {
                for (int i = 0; i < 20; i++) {
                    fresh.put(utf8("fresh-" + i), utf8("v" + i));
                }
            }
            Await.until(CALL, () -> "writes go on after the rotation", () -> ok.get() > atRotation + 50);
        } finally {
            stop.set(true);
            writer.join(30_000);
        }
        assertThat(failure.get()).as("no write failed during the rotation").isNull();
        assertThat(kvMetric(1, "security_certificate_reloads_total")).isGreaterThanOrEqualTo(1);
    }

    private static String presentedSerial(long kv) {
        TlsFiles root = TlsFiles.load(cluster.certsDir().resolve("ca.crt"), cluster.certsDir().resolve("client.root.crt"),
                cluster.certsDir().resolve("client.root.key"), SecurityMetrics.unexported());
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {root.keyManager()},
                    new TrustManager[] {root.trustManager(PeerRule.anyOf(Role.KV_SERVER))}, null);
            String[] hostPort = cluster.kvClientAddress(kv).split(":");
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(hostPort[0],
                    Integer.parseInt(hostPort[1]))) {
                socket.startHandshake();
                return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
            }
        } catch (Exception e) {
            throw new AssertionError("TLS handshake with kv-" + kv + " failed", e);
        } finally {
            root.close();
        }
    }
}

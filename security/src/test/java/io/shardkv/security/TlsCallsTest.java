package io.shardkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.shardkv.raft.testing.Await;
import io.shardkv.security.certs.CertFiles;
import io.shardkv.security.certs.CertificateAuthority;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real gRPC over TLS on 127.0.0.1 with certificates made by the CA code. */
class TlsCallsTest {
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> DATA = method("Data");
    private static final MethodDescriptor<String, String> ADMIN = method("Admin");
    private static final MethodDescriptor<String, String> UNLISTED = method("Unlisted");
    private static final ServiceDescriptor SERVICE = new ServiceDescriptor("test.Echo", DATA, ADMIN, UNLISTED);
    private static final AccessPolicy POLICY = AccessPolicy.builder()
            .allow(DATA, Role.CLIENT, Role.ADMIN)
            .allow(ADMIN, Role.ADMIN, Role.META_SERVER)
            .build();

    @TempDir
    Path dir;
    private TestCerts certs;
    private ServerSecurity security;
    private Server server;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<ClientSecurity> clients = new ArrayList<>();

    private static MethodDescriptor<String, String> method(String name) {
        return MethodDescriptor.<String, String>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("test.Echo/" + name).setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
    }

    @BeforeEach
    void start() throws Exception {
        certs = new TestCerts(dir);
        Identity self = certs.issue(Identity.server(Role.KV_SERVER, 1));
        certs.issue(Identity.user("root", Role.ADMIN));
        certs.issue(Identity.user("app", Role.CLIENT));
        security = ServerSecurity.tls(dir, self, Duration.ofHours(1), SecurityMetrics.unexported());
        ServerServiceDefinition echo = ServerServiceDefinition.builder(SERVICE)
                .addMethod(DATA, ServerCalls.asyncUnaryCall((req, out) -> {
                    out.onNext("data " + req + " from " + Caller.current().map(Identity::name).orElse("?"));
                    out.onCompleted();
                }))
                .addMethod(ADMIN, ServerCalls.asyncUnaryCall((req, out) -> {
                    out.onNext("admin " + req);
                    out.onCompleted();
                }))
                .addMethod(UNLISTED, ServerCalls.asyncUnaryCall((req, out) -> {
                    out.onNext("unlisted");
                    out.onCompleted();
                }))
                .build();
        server = security.enforce(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                security.serverCredentials()), POLICY).addService(echo).build().start();
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        clients.forEach(ClientSecurity::close);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        security.close();
    }

    private ManagedChannel channel(ChannelCredentials credentials) {
        ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), credentials).build();
        channels.add(c);
        return c;
    }

    private ClientSecurity user(String name) {
        ClientSecurity s = ClientSecurity.certsDir(dir, name);
        clients.add(s);
        return s;
    }

    private static String call(ManagedChannel channel, MethodDescriptor<String, String> method) {
        return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                "x");
    }

    @Test
    void rolesDecideWhichMethodsACertificateMayCall() {
        ManagedChannel admin = channel(user("root").forKvServers());
        assertThat(call(admin, DATA)).isEqualTo("data x from root");
        assertThat(call(admin, ADMIN)).isEqualTo("admin x");

        ManagedChannel app = channel(user("app").forKvServers());
        assertThat(call(app, DATA)).isEqualTo("data x from app");
        assertThatThrownBy(() -> call(app, ADMIN)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription())
                    .contains("test.Echo/Admin needs a certificate with role admin or meta-server")
                    .contains("names app with role client");
        });
        assertThatThrownBy(() -> call(admin, UNLISTED)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).contains("no role may call it"));
        assertThat(security.metrics().deniedCount(SecurityMetrics.Denial.ROLE)).isEqualTo(2);
    }

    @Test
    void plaintextIsRefusedAndCounted() {
        ManagedChannel plain = channel(InsecureChannelCredentials.create());
        assertThatThrownBy(() -> call(plain, DATA)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        Await.until(Duration.ofSeconds(10), () -> "the plaintext connection counted as a failed handshake",
                () -> security.metrics().handshakesFailedCount() >= 1);
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedOnBothSides() throws Exception {
        Path other = Files.createDirectory(dir.resolve("other"));
        TestCerts foreign = new TestCerts(other);
        foreign.issue(Identity.user("root", Role.ADMIN));
        // The foreign client trusts our CA too, so only the server's check can refuse it.
        Files.writeString(other.resolve("ca.crt"), Files.readString(dir.resolve("ca.crt")),
                java.nio.file.StandardOpenOption.APPEND);
        ClientSecurity stranger = ClientSecurity.certsDir(other, "root");
        clients.add(stranger);
        assertThatThrownBy(() -> call(channel(stranger.forKvServers()), DATA))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(security.metrics().refusedCount(SecurityMetrics.CertificateRefusal.UNTRUSTED)).isEqualTo(1);
        Await.until(Duration.ofSeconds(10), () -> "the refused handshake counted",
                () -> security.metrics().handshakesFailedCount() >= 1);
    }

    @Test
    void aClientRefusesAServerWithAnotherRoleOrId() {
        ManagedChannel wrongRole = channel(user("root").forMetaServers());
        assertThatThrownBy(() -> call(wrongRole, DATA)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        ManagedChannel wrongId = channel(user("root").channelCredentials(
                PeerRule.exactly(Identity.server(Role.KV_SERVER, 2))));
        assertThatThrownBy(() -> call(wrongId, DATA)).isInstanceOf(StatusRuntimeException.class);
        ManagedChannel right = channel(user("root").channelCredentials(
                PeerRule.exactly(Identity.server(Role.KV_SERVER, 1))));
        assertThat(call(right, DATA)).startsWith("data");
    }

    @Test
    void aReplacedServerCertificateIsUsedWithoutARestart() throws Exception {
        TlsFiles files = security.files().orElseThrow();
        String before = files.serial();
        ManagedChannel first = channel(user("app").forKvServers());
        assertThat(call(first, DATA)).startsWith("data");

        certs.issue(Identity.server(Role.KV_SERVER, 1));
        // Files may be rewritten within the file system's timestamp granularity; size or time differ.
        Await.until(Duration.ofSeconds(10), () -> "the new files were loaded", files::reloadIfChanged);
        assertThat(files.serial()).isNotEqualTo(before);

        // The open connection goes on; a new one sees the new certificate.
        assertThat(call(first, DATA)).startsWith("data");
        ManagedChannel second = channel(user("app").forKvServers());
        assertThat(call(second, DATA)).startsWith("data");
        assertThat(servedSerial()).isEqualTo(files.serial());
    }

    @Test
    void aReplacementNamingAnotherServerIsNotLoaded() throws Exception {
        TlsFiles files = security.files().orElseThrow();
        String before = files.serial();
        CertificateAuthority.Issued other = certs.ca.issue(Identity.server(Role.KV_SERVER, 2), List.of(),
                Duration.ofDays(1));
        CertsDir d = new CertsDir(dir);
        CertFiles.write(other.certificate(), d.cert(Identity.server(Role.KV_SERVER, 1)), other.key(),
                d.key(Identity.server(Role.KV_SERVER, 1)), true);
        assertThat(files.reloadIfChanged()).isFalse();
        assertThat(files.serial()).isEqualTo(before);
        assertThat(call(channel(user("app").forKvServers()), DATA)).startsWith("data");
    }

    /** The serial of the certificate the server presents to a new TLS connection. */
    private String servedSerial() throws Exception {
        try (TlsFiles client = TlsFiles.load(dir.resolve("ca.crt"), dir.resolve("client.app.crt"),
                dir.resolve("client.app.key"), SecurityMetrics.unexported())) {
            return servedSerial(client);
        }
    }

    private String servedSerial(TlsFiles client) throws Exception {
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(new javax.net.ssl.KeyManager[] {client.keyManager()},
                new javax.net.ssl.TrustManager[] {client.trustManager(PeerRule.anyOf(Role.KV_SERVER))}, null);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                .createSocket("127.0.0.1", server.getPort())) {
            socket.startHandshake();
            SSLSession session = socket.getSession();
            return ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber().toString(16);
        }
    }
}

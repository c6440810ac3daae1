package io.shardkv.security;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A server's side of security: the credentials its ports listen with (TLS that requires a
 * client certificate from the cluster CA, or plaintext when started {@code --insecure}), the
 * role check on its calls, and the credentials of its own calls to other servers.
 */
public final class ServerSecurity implements AutoCloseable {
    private final TlsFiles files;
    private final SecurityMetrics metrics;
    private final ClientSecurity outgoing;

    private ServerSecurity(TlsFiles files, SecurityMetrics metrics) {
        this.files = files;
        this.metrics = metrics;
        this.outgoing = files == null ? ClientSecurity.insecure() : ClientSecurity.of(files);
    }

    public static ServerSecurity insecure(SecurityMetrics metrics) {
        return new ServerSecurity(null, metrics);
    }

    /**
     * TLS with DIR/ca.crt and this server's DIR/server.NAME.crt and .key, read again when they change.
     *
     * @throws IllegalArgumentException if a file is missing, does not check out or names another server
     */
    public static ServerSecurity tls(Path certsDir, Identity self, Duration reloadEvery, SecurityMetrics metrics) {
        CertsDir dir = new CertsDir(certsDir);
        TlsFiles files = TlsFiles.load(dir.caCert(), dir.cert(self), dir.key(self), metrics);
        if (!files.identity().equals(self)) {
            files.close();
            throw new IllegalArgumentException(dir.cert(self) + " names " + files.identity() + ", not " + self);
        }
        files.startReloading(reloadEvery);
        return new ServerSecurity(files, metrics);
    }

    public boolean isTls() {
        return files != null;
    }

    public Optional<TlsFiles> files() {
        return Optional.ofNullable(files);
    }

    public SecurityMetrics metrics() {
        return metrics;
    }

    /** What every port of this server listens with. */
    public ServerCredentials serverCredentials() {
        if (files == null) {
            return InsecureServerCredentials.create();
        }
        return TlsServerCredentials.newBuilder()
                .keyManager(files.keyManager())
                // Any ShardKV identity gets through the handshake; what it may call is the
                // policy's question, answered with a message instead of a broken connection.
                .trustManager(files.trustManager(PeerRule.anyOf(Role.ADMIN, Role.CLIENT, Role.KV_SERVER,
                        Role.META_SERVER)))
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build();
    }

    /** Adds the role check and the handshake count to a server being built; nothing when insecure. */
    public <T extends ServerBuilder<T>> T enforce(T builder, AccessPolicy policy) {
        if (files == null) {
            return builder;
        }
        return builder.intercept(new Authorizer(policy, metrics)).addTransportFilter(new HandshakeWatch(metrics));
    }

    /** How this server dials others. */
    public ClientSecurity outgoing() {
        return outgoing;
    }

    public ChannelCredentials channelCredentials(PeerRule rule) {
        return outgoing.channelCredentials(rule);
    }

    @Override
    public void close() {
        if (files != null) {
            files.close();
        }
    }

    @Override
    public String toString() {
        return files == null ? "insecure (plaintext, no authentication)" : "TLS as " + files.identity();
    }
}

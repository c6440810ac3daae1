package io.shardkv.security;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How a process dials ShardKV servers: with TLS, showing its certificate and checking that
 * the server's is from the cluster CA and has the role it dialed, or in plaintext when
 * explicitly insecure. Applications make one with {@link #certsDir(Path, String)}.
 */
public final class ClientSecurity implements AutoCloseable {
    private static final ClientSecurity INSECURE = new ClientSecurity(null);

    private final TlsFiles files;

    private ClientSecurity(TlsFiles files) {
        this.files = files;
    }

    /** Plaintext, for clusters started with {@code --insecure}. */
    public static ClientSecurity insecure() {
        return INSECURE;
    }

    /**
     * TLS as user {@code user}, with DIR/ca.crt, DIR/client.USER.crt and DIR/client.USER.key.
     *
     * @throws IllegalArgumentException if a file is missing or does not check out, saying which
     */
    public static ClientSecurity certsDir(Path dir, String user) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("certificates directory " + dir + " does not exist");
        }
        CertsDir certs = new CertsDir(dir);
        TlsFiles files = TlsFiles.load(certs.caCert(), certs.clientCert(user), certs.clientKey(user),
                SecurityMetrics.unexported());
        if (files.identity().role().isServer()) {
            throw new IllegalArgumentException(certs.clientCert(user) + " is a server's certificate ("
                    + files.identity() + "), not a user's");
        }
        return new ClientSecurity(files);
    }

    /** Dials with the given material (a server's own, for its calls to other servers). */
    public static ClientSecurity of(TlsFiles files) {
        return new ClientSecurity(files);
    }

    public boolean isTls() {
        return files != null;
    }

    /** Whom the certificate names; empty when insecure. */
    public Optional<Identity> identity() {
        return files == null ? Optional.empty() : Optional.of(files.identity());
    }

    /** Reads the files again when they change, for long-running clients whose certificates rotate. */
    public ClientSecurity reloadEvery(Duration every) {
        if (files != null) {
            files.startReloading(every);
        }
        return this;
    }

    /** Credentials for a channel to servers the rule admits. */
    public ChannelCredentials channelCredentials(PeerRule rule) {
        if (files == null) {
            return InsecureChannelCredentials.create();
        }
        return TlsChannelCredentials.newBuilder()
                .keyManager(files.keyManager())
                .trustManager(files.trustManager(rule))
                .build();
    }

    public ChannelCredentials forMetaServers() {
        return channelCredentials(PeerRule.anyOf(Role.META_SERVER));
    }

    public ChannelCredentials forKvServers() {
        return channelCredentials(PeerRule.anyOf(Role.KV_SERVER));
    }

    @Override
    public void close() {
        if (files != null) {
            files.close();
        }
    }

    @Override
    public String toString() {
        return files == null ? "insecure (plaintext)" : "TLS as " + files.identity();
    }
}

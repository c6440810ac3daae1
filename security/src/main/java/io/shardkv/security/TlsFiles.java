package io.shardkv.security;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One process's TLS material, read from PEM files: the cluster CA it trusts and its own
 * certificate and key. The files are read again when they change (checked every few seconds
 * once {@link #startReloading} runs), so a certificate is rotated by replacing its files,
 * without a restart: new connections present and trust the new ones, open connections go on.
 * A replacement that does not load, does not chain to the CA, does not match its key or names
 * another identity is refused and logged; the old material stays in use.
 */
public final class TlsFiles implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TlsFiles.class.getName());
    private static final String ALIAS_PREFIX = "shardkv-";

    /** Everything read from the files at one moment. */
    private record Material(long version, X509Certificate[] chain, PrivateKey key, Identity identity,
                            X509ExtendedTrustManager pkix, X509Certificate[] authorities, List<Stamp> stamps) {
    }

    /** What a file looked like when read: a change of either means it was replaced. */
    private record Stamp(long modifiedMillis, long size) {
    }

    private final Path caCert;
    private final Path cert;
    private final Path key;
    private final SecurityMetrics metrics;
    private final AtomicLong versions = new AtomicLong();
    private volatile Material current;
    // The one before current: a handshake that chose an alias just before a reload still finds its key.
    private volatile Material previous;
    private ScheduledExecutorService reloader;

    private TlsFiles(Path caCert, Path cert, Path key, SecurityMetrics metrics, Material first) {
        this.caCert = caCert;
        this.cert = cert;
        this.key = key;
        this.metrics = metrics;
        this.current = first;
        this.previous = first;
    }

    /**
     * Reads and checks the files.
     *
     * @throws IllegalArgumentException saying which file is missing or wrong and why
     */
    public static TlsFiles load(Path caCert, Path cert, Path key, SecurityMetrics metrics) {
        TlsFiles files = new TlsFiles(caCert, cert, key, metrics, null);
        try {
            files.current = files.read(null);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        files.previous = files.current;
        metrics.watchExpiry(files::expiresAt);
        return files;
    }

    /** Who this process is, as its certificate says. */
    public Identity identity() {
        return current.identity();
    }

    public Instant expiresAt() {
        return current.chain()[0].getNotAfter().toInstant();
    }

    /** The serial number of the certificate in use (it changes on rotation). */
    public String serial() {
        return current.chain()[0].getSerialNumber().toString(16);
    }

    /** Checks the files every {@code every}; a changed set is loaded if it passes the checks. */
    public synchronized void startReloading(Duration every) {
        if (reloader != null) {
            return;
        }
        reloader = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tls-reload-" + identity().name());
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, every.toMillis());
        reloader.scheduleWithFixedDelay(this::reloadIfChanged, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Loads the files again if any changed since the last load; returns whether new material is in use. */
    public boolean reloadIfChanged() {
        Material m = current;
        List<Stamp> now;
        try {
            now = stamps();
        } catch (IOException e) {
            return false; // a file is being replaced; the next check sees the finished one
        }
        if (now.equals(m.stamps())) {
            return false;
        }
        try {
            Material next = read(m.identity());
            previous = m;
            current = next;
            metrics.reloaded(true);
            LOG.log(System.Logger.Level.INFO, "TLS: loaded the replaced certificate files of " + next.identity()
                    + ": serial " + next.chain()[0].getSerialNumber().toString(16) + ", valid until "
                    + next.chain()[0].getNotAfter().toInstant());
            return true;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            metrics.reloaded(false);
            LOG.log(System.Logger.Level.WARNING, "TLS: the replaced certificate files are not used, the old ones"
                    + " stay: " + e.getMessage());
            // Remember the stamps so one bad file is reported once, not every few seconds.
            current = new Material(m.version(), m.chain(), m.key(), m.identity(), m.pkix(), m.authorities(), now);
            return false;
        }
    }

    private List<Stamp> stamps() throws IOException {
        return List.of(stamp(caCert), stamp(cert), stamp(key));
    }

    private static Stamp stamp(Path p) throws IOException {
        return new Stamp(Files.getLastModifiedTime(p).toMillis(), Files.size(p));
    }

    private Material read(Identity mustBe) throws IOException, GeneralSecurityException {
        List<Stamp> stamps;
        try {
            stamps = stamps();
        } catch (IOException e) {
            throw new IOException("cannot read " + missing(), e);
        }
        List<X509Certificate> authorities = Pem.readCertificates(caCert);
        List<X509Certificate> chain = Pem.readCertificates(cert);
        PrivateKey privateKey = Pem.readPrivateKey(key);
        X509Certificate leaf = chain.get(0);
        Identity identity = Identity.of(leaf);
        if (mustBe != null && !mustBe.equals(identity)) {
            throw new CertificateException(cert + " names " + identity + ", but this process is " + mustBe);
        }
        checkKeyMatches(leaf, privateKey);
        X509ExtendedTrustManager pkix = pkix(authorities);
        try {
            pkix.checkClientTrusted(chain.toArray(X509Certificate[]::new), leaf.getPublicKey().getAlgorithm());
        } catch (CertificateException e) {
            throw new CertificateException(cert + " is not signed by the CA in " + caCert + " or is not valid now: "
                    + e.getMessage(), e);
        }
        return new Material(versions.incrementAndGet(), chain.toArray(X509Certificate[]::new), privateKey, identity,
                pkix, authorities.toArray(X509Certificate[]::new), stamps);
    }

    private String missing() {
        for (Path p : List.of(caCert, cert, key)) {
            if (!Files.isReadable(p)) {
                return p + " (missing or unreadable)";
            }
        }
        return caCert + ", " + cert + " and " + key;
    }

    private void checkKeyMatches(X509Certificate leaf, PrivateKey privateKey) throws GeneralSecurityException {
        String algorithm = privateKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] probe = "shardkv key check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(privateKey);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(leaf.getPublicKey());
        verifier.update(probe);
        if (!verifier.verify(signature)) {
            throw new GeneralSecurityException(key + " is not the key of the certificate in " + cert);
        }
    }

    private static X509ExtendedTrustManager pkix(List<X509Certificate> authorities) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (X509Certificate ca : authorities) {
            store.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("the JDK offers no X509 trust manager");
    }

    /** Presents this process's current certificate, to servers and to clients alike. */
    public X509ExtendedKeyManager keyManager() {
        return new KeyManager();
    }

    /**
     * Trusts a peer whose chain leads to the cluster CA and whose certificate names an identity
     * the rule admits; refusals are counted by reason.
     */
    public X509ExtendedTrustManager trustManager(PeerRule rule) {
        return new RuleTrustManager(Objects.requireNonNull(rule));
    }

    @Override
    public synchronized void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }

    private Material byAlias(String alias) {
        if (alias == null || !alias.startsWith(ALIAS_PREFIX)) {
            return null;
        }
        long version;
        try {
            version = Long.parseLong(alias.substring(ALIAS_PREFIX.length()));
        } catch (NumberFormatException e) {
            return null;
        }
        Material c = current;
        if (c.version() == version) {
            return c;
        }
        Material p = previous;
        return p.version() == version ? p : null;
    }

    private final class KeyManager extends X509ExtendedKeyManager {
        private String aliasFor(String keyType) {
            Material m = current;
            String algorithm = m.key().getAlgorithm();
            // The JDK asks per key type: "EC", "RSA", or "EC_EC"-style names in TLS 1.2.
            return keyType == null || keyType.startsWith(algorithm) ? ALIAS_PREFIX + m.version() : null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            String alias = aliasFor(keyType);
            return alias == null ? null : new String[] {alias};
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return chooseAny(keyTypes);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return chooseAny(keyTypes);
        }

        private String chooseAny(String[] keyTypes) {
            for (String type : keyTypes) {
                String alias = aliasFor(type);
                if (alias != null) {
                    return alias;
                }
            }
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Material m = byAlias(alias);
            return m == null ? null : m.chain().clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Material m = byAlias(alias);
            return m == null ? null : m.key();
        }
    }

    private final class RuleTrustManager extends X509ExtendedTrustManager {
        private final PeerRule rule;

        RuleTrustManager(PeerRule rule) {
            this.rule = rule;
        }

        // Host names are not checked (see PeerRule): every variant ends in the same chain and
        // identity check, without the endpoint identification the engine-taking variants do.
        private void check(X509Certificate[] chain, String authType, boolean client) throws CertificateException {
            Material m = current;
            if (chain == null || chain.length == 0) {
                metrics.certificateRefused(SecurityMetrics.CertificateRefusal.UNTRUSTED);
                throw new CertificateException("no certificate shown");
            }
            try {
                if (client) {
                    m.pkix().checkClientTrusted(chain, authType);
                } else {
                    m.pkix().checkServerTrusted(chain, authType);
                }
            } catch (CertificateException e) {
                metrics.certificateRefused(SecurityMetrics.CertificateRefusal.UNTRUSTED);
                LOG.log(System.Logger.Level.WARNING, "TLS: refused the certificate of '"
                        + chain[0].getSubjectX500Principal() + "': not signed by this cluster's CA or not valid now ("
                        + e.getMessage() + ")");
                throw e;
            }
            Identity peer;
            try {
                peer = Identity.of(chain[0]);
            } catch (CertificateException e) {
                metrics.certificateRefused(SecurityMetrics.CertificateRefusal.NOT_SHARDKV);
                LOG.log(System.Logger.Level.WARNING, "TLS: refused a certificate: " + e.getMessage());
                throw e;
            }
            if (!rule.admits(peer)) {
                metrics.certificateRefused(SecurityMetrics.CertificateRefusal.WRONG_PEER);
                String why = "the other side shows the certificate of " + peer + ", but " + rule.describe()
                        + " was expected";
                LOG.log(System.Logger.Level.WARNING, "TLS: refused a connection: " + why);
                throw new CertificateException(why);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType, true);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain, authType, true);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain, authType, true);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain, authType, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain, authType, false);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return current.authorities().clone();
        }
    }
}

package io.shardkv.security.certs;

import io.shardkv.security.Identity;
import io.shardkv.security.Pem;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority: one self-signed certificate and its key, which sign the
 * certificates of servers (role and id in the subject, host names and addresses as subject
 * alternative names) and users (name and role). Keys are EC P-256: small, and quick to
 * handshake on small machines.
 */
public final class CertificateAuthority {
    /** The CA's subject; it names no role, so a CA certificate is never taken for an identity. */
    public static final X500Principal SUBJECT = new X500Principal("CN=ShardKV cluster CA, O=" + Identity.ORGANIZATION);
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9*]([A-Za-z0-9-.]{0,251}[A-Za-z0-9])?");
    // Certificates start an hour back, so a peer whose clock is a little behind still accepts them.
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new CA valid for {@code lifetime}. */
    public static CertificateAuthority create(Duration lifetime) throws GeneralSecurityException {
        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(SUBJECT, serial(), Date.from(now.minus(BACKDATE)),
                Date.from(now.plus(lifetime)), SUBJECT, pair.getPublic());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        } catch (CertIOException e) {
            throw new GeneralSecurityException(e);
        }
        return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate());
    }

    /**
     * The CA in these files.
     *
     * @throws IllegalArgumentException if they cannot be read or the key is not the certificate's
     */
    public static CertificateAuthority load(Path caCert, Path caKey) {
        try {
            X509Certificate cert = Pem.readCertificates(caCert).get(0);
            PrivateKey key = Pem.readPrivateKey(caKey);
            if (cert.getBasicConstraints() < 0) {
                throw new IllegalArgumentException(caCert + " is not a CA certificate");
            }
            CertificateAuthority ca = new CertificateAuthority(cert, key);
            // Sign a throwaway certificate and check it with the CA's public key: proves the pair.
            Identity probe = Identity.user("key-check", io.shardkv.security.Role.CLIENT);
            ca.issue(probe, List.of(), Duration.ofMinutes(1)).certificate().verify(cert.getPublicKey());
            return ca;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the CA in " + caCert + " and " + caKey + ": " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /**
     * A new key and a certificate for it, signed by this CA.
     *
     * @param hosts for servers: the DNS names and IP addresses the server is reached at
     * @throws IllegalArgumentException for a host that is neither a name nor an address, or a
     *     lifetime past the CA's own
     */
    public Issued issue(Identity identity, List<String> hosts, Duration lifetime) throws GeneralSecurityException {
        Instant now = Instant.now();
        Instant notAfter = now.plus(lifetime);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            throw new IllegalArgumentException("a certificate valid until " + notAfter + " would outlive its CA ("
                    + certificate.getNotAfter().toInstant() + "); choose a shorter lifetime");
        }
        KeyPair pair = newKeyPair();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate.getSubjectX500Principal(), serial(),
                Date.from(now.minus(BACKDATE)), Date.from(notAfter), identity.subject(), pair.getPublic());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            // A server also dials other servers, so its certificate serves both ends.
            KeyPurposeId[] purposes = identity.role().isServer()
                    ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}
                    : new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(certificate.getPublicKey()));
            if (!hosts.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, alternativeNames(hosts));
            }
        } catch (CertIOException e) {
            throw new GeneralSecurityException(e);
        }
        return new Issued(sign(b, key), pair.getPrivate());
    }

    private static GeneralNames alternativeNames(List<String> hosts) {
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            String h = host.trim();
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            if (isAddress(h)) {
                names.add(new GeneralName(GeneralName.iPAddress, h));
            } else if (HOST_NAME.matcher(h).matches()) {
                names.add(new GeneralName(GeneralName.dNSName, h));
            } else {
                throw new IllegalArgumentException("'" + host + "' is neither a host name nor an IP address");
            }
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    private static boolean isAddress(String h) {
        if (!h.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            return false;
        }
        try {
            // Only literals reach here, so this parses without a DNS lookup.
            InetAddress.getByName(h);
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** A certificate and its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
    }
}

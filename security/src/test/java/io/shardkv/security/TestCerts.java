package io.shardkv.security;

import io.shardkv.security.certs.CertFiles;
import io.shardkv.security.certs.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Makes a CA and certificates in a directory, as kvctl cert does. */
final class TestCerts {
    final Path dir;
    final CertificateAuthority ca;

    TestCerts(Path dir) throws Exception {
        this.dir = dir;
        this.ca = CertificateAuthority.create(Duration.ofDays(30));
        CertFiles.write(ca.certificate(), new CertsDir(dir).caCert(), ca.key(), new CertsDir(dir).defaultCaKey(), false);
    }

    Identity issue(Identity identity) throws Exception {
        CertificateAuthority.Issued issued = ca.issue(identity, List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        CertsDir d = new CertsDir(dir);
        CertFiles.write(issued.certificate(), d.cert(identity), issued.key(), d.key(identity), true);
        return identity;
    }
}

package io.shardkv.security.certs;

import io.shardkv.security.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Writes a certificate and its key as PEM files. Each file appears whole (written aside, then
 * renamed), so a server that reloads its files never reads half of one; a key file is
 * readable by its owner only.
 */
public final class CertFiles {
    private CertFiles() {
    }

    /**
     * @param overwrite whether existing files may be replaced (rotation); otherwise an existing
     *     file is an error and nothing is written
     */
    public static void write(X509Certificate certificate, Path certFile, PrivateKey key, Path keyFile, boolean overwrite)
            throws IOException, CertificateException {
        if (!overwrite) {
            for (Path p : new Path[] {certFile, keyFile}) {
                if (Files.exists(p)) {
                    throw new FileAlreadyExistsException(p + " exists; pass --overwrite to replace it");
                }
            }
        }
        Path parent = certFile.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // The key first: a reader that sees the new certificate finds its key already there.
        writeAtomically(keyFile, Pem.privateKey(key), true);
        writeAtomically(certFile, Pem.certificate(certificate), false);
    }

    private static void writeAtomically(Path target, String text, boolean secret) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try {
                // A temporary file starts owner-only; a certificate is public and may be read by anyone.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // A file system without POSIX modes protects the key its own way.
            }
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

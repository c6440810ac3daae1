package io.shardkv.kvctl;

import io.shardkv.security.CertsDir;
import io.shardkv.security.Identity;
import io.shardkv.security.Pem;
import io.shardkv.security.Role;
import io.shardkv.security.certs.CertFiles;
import io.shardkv.security.certs.CertificateAuthority;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * kvctl cert: the cluster CA and the certificates it signs, as PEM files in one directory
 * ({@code --certs-dir}): ca.crt, ca.key (by default; {@code --ca-key} keeps it elsewhere),
 * server.kv-N.crt/.key, server.meta-N.crt/.key, client.NAME.crt/.key.
 */
@Command(name = "cert", mixinStandardHelpOptions = true,
        description = {"Makes the cluster CA and the certificates servers and users present.",
            "Files go to --certs-dir DIR (or $SHARDKV_CERTS_DIR)."},
        subcommands = {CertCommands.CreateCa.class, CertCommands.CreateServer.class, CertCommands.CreateClient.class,
            CertCommands.ListCerts.class})
final class CertCommands implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand (create-ca, create-server, create-client, list)");
    }

    /** Options every command that signs shares. */
    static final class Signing {
        @Option(names = "--ca-key", paramLabel = "FILE",
                description = "The CA's private key (default: DIR/ca.key). Keep it off the servers.")
        Path caKey;

        @Option(names = "--overwrite", description = "Replace existing files (to rotate a certificate).")
        boolean overwrite;

        Path caKey(CertsDir dir) {
            return caKey != null ? caKey : dir.defaultCaKey();
        }

    }

    /** How long a server's or user's certificate is valid. */
    static final class Lifetime {
        @Option(names = "--lifetime", paramLabel = "DURATION", defaultValue = "730d",
                converter = DurationConverter.class,
                description = "How long the certificate is valid (default: ${DEFAULT-VALUE}).")
        Duration lifetime;

        Duration get() {
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("--lifetime must be positive, got " + lifetime);
            }
            return lifetime;
        }
    }

    static CertsDir certsDir(CommandLine.Model.CommandSpec spec, boolean create) {
        Path dir = Kvctl.root(spec).certsDirOption();
        if (dir == null) {
            throw new IllegalArgumentException("kvctl cert needs --certs-dir DIR (or SHARDKV_CERTS_DIR)");
        }
        if (create) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot create " + dir + ": " + e.getMessage(), e);
            }
        } else if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("certificates directory " + dir + " does not exist");
        }
        return new CertsDir(dir);
    }

    static void write(X509Certificate cert, Path certFile, java.security.PrivateKey key, Path keyFile, boolean overwrite) {
        try {
            CertFiles.write(cert, certFile, key, keyFile, overwrite);
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(e.getFile(), e);
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("cannot write " + certFile + ": " + e.getMessage(), e);
        }
    }

    static CertificateAuthority loadCa(CertsDir dir, Signing signing) {
        Path key = signing.caKey(dir);
        if (!Files.exists(dir.caCert()) || !Files.exists(key)) {
            throw new IllegalArgumentException("no CA: " + (Files.exists(dir.caCert()) ? key : dir.caCert())
                    + " is missing (make one with 'kvctl cert create-ca', or pass --ca-key FILE)");
        }
        return CertificateAuthority.load(dir.caCert(), key);
    }

    @Command(name = "create-ca", mixinStandardHelpOptions = true,
            description = "Makes the cluster CA: DIR/ca.crt (for every process) and its key.")
    static final class CreateCa implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Signing signing;

        @Option(names = "--lifetime", paramLabel = "DURATION", defaultValue = "3650d",
                converter = DurationConverter.class,
                description = "How long the CA is valid (default: ${DEFAULT-VALUE}).")
        Duration caLifetime;

        @Override
        public Integer call() throws GeneralSecurityException {
            CertsDir dir = certsDir(spec, true);
            if (caLifetime.isNegative() || caLifetime.isZero()) {
                throw new IllegalArgumentException("--lifetime must be positive, got " + caLifetime);
            }
            CertificateAuthority ca = CertificateAuthority.create(caLifetime);
            write(ca.certificate(), dir.caCert(), ca.key(), signing.caKey(dir), signing.overwrite);
            PrintWriter out = spec.commandLine().getOut();
            out.println("created the CA: " + dir.caCert() + " (key " + signing.caKey(dir) + "), valid until "
                    + ca.certificate().getNotAfter().toInstant());
            return ExitCodes.OK;
        }
    }

    @Command(name = "create-server", mixinStandardHelpOptions = true,
            description = {"Makes the certificate of one or more servers: DIR/server.KIND-ID.crt and .key.",
                "The certificate names the server's role and id; --host adds the names and addresses it is",
                "reached at (localhost and 127.0.0.1 are always in)."})
    static final class CreateServer implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Signing signing;

        @CommandLine.Mixin
        Lifetime lifetime;

        @Option(names = "--kind", required = true, paramLabel = "kv|meta", description = "kv-server or meta-server.")
        String kind;

        @Option(names = "--host", paramLabel = "HOST", description = "A DNS name or IP address (repeatable).")
        List<String> hosts = new ArrayList<>();

        @Parameters(arity = "1..*", paramLabel = "ID", description = "Server ids (positive integers).")
        List<Long> ids;

        @Override
        public Integer call() throws GeneralSecurityException {
            Role role = switch (kind.trim()) {
                case "kv", "kv-server" -> Role.KV_SERVER;
                case "meta", "meta-server" -> Role.META_SERVER;
                default -> throw new IllegalArgumentException("--kind is kv or meta, got '" + kind + "'");
            };
            List<Identity> identities = new ArrayList<>();
            for (long id : ids) {
                if (id <= 0) {
                    throw new IllegalArgumentException("server ids are positive, got " + id);
                }
                identities.add(Identity.server(role, id));
            }
            CertsDir dir = certsDir(spec, false);
            CertificateAuthority ca = loadCa(dir, signing);
            List<String> names = new ArrayList<>(List.of("localhost", "127.0.0.1"));
            hosts.stream().map(String::trim).filter(h -> !names.contains(h)).forEach(names::add);
            PrintWriter out = spec.commandLine().getOut();
            for (Identity identity : identities) {
                CertificateAuthority.Issued issued = ca.issue(identity, names, lifetime.get());
                write(issued.certificate(), dir.cert(identity), issued.key(), dir.key(identity), signing.overwrite);
                out.println("created " + dir.cert(identity) + " for " + identity + " (" + String.join(", ", names)
                        + "), valid until " + issued.certificate().getNotAfter().toInstant());
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "create-client", mixinStandardHelpOptions = true,
            description = {"Makes a user's certificate: DIR/client.NAME.crt and .key.",
                "Role admin may read, write and change the cluster; role client may read and write."})
    static final class CreateClient implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Signing signing;

        @CommandLine.Mixin
        Lifetime lifetime;

        @Parameters(index = "0", paramLabel = "NAME", description = "The user's name, e.g. root or app.")
        String name;

        @Option(names = "--role", required = true, paramLabel = "admin|client", description = "What the user may do.")
        String role;

        @Override
        public Integer call() throws GeneralSecurityException {
            Role r = Role.fromLabel(role);
            if (r.isServer()) {
                throw new IllegalArgumentException("a user's --role is admin or client, got " + role
                        + " (servers get theirs from create-server)");
            }
            Identity identity = Identity.user(name, r);
            CertsDir dir = certsDir(spec, false);
            CertificateAuthority ca = loadCa(dir, signing);
            CertificateAuthority.Issued issued = ca.issue(identity, List.of(), lifetime.get());
            write(issued.certificate(), dir.cert(identity), issued.key(), dir.key(identity), signing.overwrite);
            spec.commandLine().getOut().println("created " + dir.cert(identity) + " for " + identity + ", valid until "
                    + issued.certificate().getNotAfter().toInstant());
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the certificates in DIR: whom each names, its role and when it expires.")
    static final class ListCerts implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            CertsDir dir = certsDir(spec, false);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-28s %-14s %-12s %-22s %s%n", "FILE", "NAME", "ROLE", "EXPIRES", "SERIAL");
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.dir(), "*.crt")) {
                s.forEach(files::add);
            }
            files.sort(null);
            Instant now = Instant.now();
            for (Path file : files) {
                try {
                    X509Certificate cert = Pem.readCertificates(file).get(0);
                    String name;
                    String role;
                    if (cert.getBasicConstraints() >= 0) {
                        name = "(cluster CA)";
                        role = "ca";
                    } else {
                        Identity id = Identity.of(cert);
                        name = id.name();
                        role = id.role().label();
                    }
                    Instant expires = cert.getNotAfter().toInstant();
                    out.printf("%-28s %-14s %-12s %-22s %s%n", file.getFileName(), name, role,
                            expires + (expires.isBefore(now) ? " EXPIRED" : ""),
                            cert.getSerialNumber().toString(16));
                } catch (CertificateException e) {
                    out.printf("%-28s unreadable: %s%n", file.getFileName(), e.getMessage());
                }
            }
            return ExitCodes.OK;
        }
    }
}

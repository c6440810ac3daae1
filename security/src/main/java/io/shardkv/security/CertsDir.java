package io.shardkv.security;

import java.nio.file.Path;

/**
 * The files of a certificates directory, named as {@code kvctl cert} writes them:
 * {@code ca.crt} (the cluster CA, which every process trusts), {@code ca.key} (kept here
 * only by default; it belongs somewhere safer), {@code server.kv-3.crt}/{@code .key} and
 * {@code client.NAME.crt}/{@code .key}.
 */
public record CertsDir(Path dir) {
    public Path caCert() {
        return dir.resolve("ca.crt");
    }

    public Path defaultCaKey() {
        return dir.resolve("ca.key");
    }

    public Path cert(Identity identity) {
        return dir.resolve(baseName(identity) + ".crt");
    }

    public Path key(Identity identity) {
        return dir.resolve(baseName(identity) + ".key");
    }

    public Path clientCert(String user) {
        return dir.resolve("client." + Identity.checkUserName(user) + ".crt");
    }

    public Path clientKey(String user) {
        return dir.resolve("client." + Identity.checkUserName(user) + ".key");
    }

    private static String baseName(Identity identity) {
        return (identity.role().isServer() ? "server." : "client.") + identity.name();
    }
}

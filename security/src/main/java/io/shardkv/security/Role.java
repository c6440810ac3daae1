package io.shardkv.security;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a certificate allows its holder to do. The role is written in the certificate (its
 * subject's OU), so a server learns a caller's role from the TLS handshake alone.
 */
public enum Role {
    /** A user who may read and write data and change the cluster. */
    ADMIN("admin", false),
    /** A user who may read and write data, nothing else. */
    CLIENT("client", false),
    /** A kv-server; its certificate also names its id. */
    KV_SERVER("kv-server", true),
    /** A meta-server; its certificate also names its id. */
    META_SERVER("meta-server", true);

    private final String label;
    private final boolean server;

    Role(String label, boolean server) {
        this.label = label;
        this.server = server;
    }

    /** The name written in certificates and accepted on command lines. */
    public String label() {
        return label;
    }

    public boolean isServer() {
        return server;
    }

    /** The prefix of a server's certificate name: {@code kv} for kv-3, {@code meta} for meta-1. */
    public String serverPrefix() {
        if (!server) {
            throw new IllegalStateException(label + " is not a server role");
        }
        return label.substring(0, label.indexOf('-'));
    }

    /** @throws IllegalArgumentException naming the known roles */
    public static Role fromLabel(String label) {
        String l = label.trim().toLowerCase(Locale.ROOT);
        for (Role r : values()) {
            if (r.label.equals(l)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + label + "'; known roles: "
                + String.join(", ", Arrays.stream(values()).map(Role::label).toList()));
    }

    @Override
    public String toString() {
        return label;
    }
}

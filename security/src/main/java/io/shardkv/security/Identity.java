package io.shardkv.security;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Who a certificate speaks for: a role and a name. A server's name is its kind and id
 * ({@code kv-3}, {@code meta-1}), so a server certificate is good for one server only; a
 * user's name is free (root, app, ...). The subject of the certificate holds both:
 * {@code O=ShardKV, OU=<role>, CN=<name>}.
 *
 * @param serverId the server's id for server roles, 0 for users
 */
public record Identity(Role role, String name, long serverId) {
    /** The organization every ShardKV certificate names; a certificate without it is not one of ours. */
    public static final String ORGANIZATION = "ShardKV";
    private static final Pattern USER_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    public Identity {
        if (role.isServer()) {
            if (serverId <= 0 || !name.equals(role.serverPrefix() + "-" + serverId)) {
                throw new IllegalArgumentException("a " + role + " identity is named " + role.serverPrefix()
                        + "-<id> with id > 0, got name '" + name + "' id " + serverId);
            }
        } else {
            checkUserName(name);
            if (serverId != 0) {
                throw new IllegalArgumentException("a user identity has no server id, got " + serverId);
            }
        }
    }

    public static Identity server(Role role, long id) {
        if (!role.isServer()) {
            throw new IllegalArgumentException(role + " is not a server role");
        }
        if (id <= 0) {
            throw new IllegalArgumentException("server ids start at 1, got " + id);
        }
        return new Identity(role, role.serverPrefix() + "-" + id, id);
    }

    public static Identity user(String name, Role role) {
        if (role.isServer()) {
            throw new IllegalArgumentException("a user's role is admin or client, got " + role);
        }
        return new Identity(role, name, 0);
    }

    /** @throws IllegalArgumentException saying what a user name may hold */
    public static String checkUserName(String name) {
        if (name == null || !USER_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a user name is 1-63 lower-case letters, digits, '_', '.' or '-',"
                    + " starting with a letter or digit; got '" + name + "'");
        }
        return name;
    }

    /** The identity the certificate's subject names. */
    public static Identity of(X509Certificate certificate) throws CertificateException {
        return ofSubject(certificate.getSubjectX500Principal());
    }

    static Identity ofSubject(X500Principal subject) throws CertificateException {
        String o = null;
        String ou = null;
        String cn = null;
        try {
            for (Rdn rdn : new LdapName(subject.getName(X500Principal.RFC2253)).getRdns()) {
                String value = String.valueOf(rdn.getValue());
                switch (rdn.getType().toUpperCase(java.util.Locale.ROOT)) {
                    case "O" -> o = value;
                    case "OU" -> ou = value;
                    case "CN" -> cn = value;
                    default -> {
                        // Other attributes carry nothing we rely on.
                    }
                }
            }
        } catch (InvalidNameException e) {
            throw new CertificateException("unreadable certificate subject " + subject, e);
        }
        if (!ORGANIZATION.equals(o) || ou == null || cn == null) {
            throw new CertificateException("not a ShardKV certificate: its subject '" + subject
                    + "' lacks O=" + ORGANIZATION + ", OU=<role> or CN=<name>");
        }
        try {
            Role role = Role.fromLabel(ou);
            if (!role.isServer()) {
                return user(cn, role);
            }
            String prefix = role.serverPrefix() + "-";
            if (!cn.startsWith(prefix)) {
                throw new IllegalArgumentException("a " + role + " certificate is named " + prefix + "<id>, got " + cn);
            }
            return server(role, Long.parseLong(cn.substring(prefix.length())));
        } catch (IllegalArgumentException e) {
            throw new CertificateException("certificate subject '" + subject + "': " + e.getMessage(), e);
        }
    }

    /** The subject a certificate for this identity carries. */
    public X500Principal subject() {
        return new X500Principal("CN=" + name + ", OU=" + role.label() + ", O=" + ORGANIZATION);
    }

    @Override
    public String toString() {
        return role.isServer() ? name : name + " (role " + role + ")";
    }
}

package io.shardkv.ops;

import io.shardkv.security.Identity;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.ServerSecurity;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The TLS settings both servers take, and the one decision they make: TLS with this server's
 * certificate, or plaintext because the operator said {@code --insecure}. Nothing falls back
 * to plaintext by itself, and plaintext on an address other hosts can reach needs a second,
 * explicit yes.
 */
public final class SecuritySettings {
    public static final List<SettingKey> KEYS = List.of(
            SettingKey.optional("certs-dir", "", "directory with ca.crt and this server's server.<kind>-<id>.crt and"
                    + " .key (kvctl cert create-ca / create-server); every port then speaks TLS and requires a"
                    + " certificate from the same CA"),
            SettingKey.optional("insecure", "false", "serve every port in plaintext with no authentication, instead"
                    + " of certs-dir; only for listen addresses on loopback unless insecure-network is also set"),
            SettingKey.optional("insecure-network", "false", "allow insecure on a non-loopback address: anyone who"
                    + " reaches the ports can then read, write and administer the cluster"),
            SettingKey.optional("cert-reload-millis", "5000", "how often the certificate files are checked for"
                    + " replacement; a replaced certificate is used for new connections without a restart"));

    private SecuritySettings() {
    }

    /**
     * @param self       whom this server's certificate must name
     * @param listenHosts every host this server binds, to tell loopback from the network
     * @throws SettingsException when neither or both of certs-dir and insecure are set, when the
     *     files do not check out, or for plaintext on the network without insecure-network
     */
    public static ServerSecurity load(Settings s, Identity self, List<String> listenHosts, SecurityMetrics metrics) {
        boolean insecure = s.bool("insecure");
        String certsDir = s.string("certs-dir").trim();
        long reloadMillis = s.longValue("cert-reload-millis", 100, 3_600_000);
        if (insecure && !certsDir.isEmpty()) {
            throw s.bad("insecure", "true", "conflicts with certs-dir '" + certsDir + "': choose TLS or plaintext");
        }
        if (insecure) {
            if (!s.bool("insecure-network")) {
                for (String host : listenHosts) {
                    if (!isLoopback(host)) {
                        throw s.bad("insecure", "true", "this server listens on " + host + ", which is not a loopback"
                                + " address: plaintext there lets anyone who reaches it read, write and administer the"
                                + " cluster. Use certs-dir, listen on 127.0.0.1, or also set insecure-network");
                    }
                }
            }
            return ServerSecurity.insecure(metrics);
        }
        if (certsDir.isEmpty()) {
            throw new SettingsException("no certificates: set certs-dir (--certs-dir DIR or SHARDKV_CERTS_DIR) to a"
                    + " directory made with 'kvctl cert create-ca' and 'kvctl cert create-server --kind "
                    + self.role().serverPrefix() + " " + self.serverId() + "', or run without TLS with --insecure");
        }
        Path dir = Path.of(certsDir);
        if (!Files.isDirectory(dir)) {
            throw s.bad("certs-dir", certsDir, "is not a directory");
        }
        try {
            return ServerSecurity.tls(dir, self, Duration.ofMillis(reloadMillis), metrics);
        } catch (IllegalArgumentException e) {
            throw s.bad("certs-dir", certsDir, e.getMessage());
        }
    }

    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}

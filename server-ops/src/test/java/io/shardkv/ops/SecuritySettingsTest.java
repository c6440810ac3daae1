package io.shardkv.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.security.Identity;
import io.shardkv.security.Role;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.ServerSecurity;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecuritySettingsTest {
    private static final Identity KV_1 = Identity.server(Role.KV_SERVER, 1);

    @TempDir
    Path dir;

    private static ServerSecurity load(List<String> hosts, String... args) {
        Settings s = Settings.load(SecuritySettings.KEYS, args, Map.of());
        return SecuritySettings.load(s, KV_1, hosts, SecurityMetrics.unexported());
    }

    @Test
    void plaintextOnlyWhenAskedForAndOnlyOnLoopbackUnlessAskedTwice() {
        assertThat(load(List.of("127.0.0.1", "localhost"), "--insecure").isTls()).isFalse();
        assertThatThrownBy(() -> load(List.of("127.0.0.1", "10.1.2.3"), "--insecure"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("10.1.2.3")
                .hasMessageContaining("not a loopback address").hasMessageContaining("insecure-network");
        assertThat(load(List.of("0.0.0.0"), "--insecure", "--insecure-network").isTls()).isFalse();
    }

    @Test
    void withoutCertificatesOrInsecureTheServerDoesNotStart() {
        assertThatThrownBy(() -> load(List.of("127.0.0.1")))
                .isInstanceOf(SettingsException.class).hasMessageContaining("no certificates")
                .hasMessageContaining("kvctl cert create-server --kind kv 1").hasMessageContaining("--insecure");
        assertThatThrownBy(() -> load(List.of("127.0.0.1"), "--insecure", "--certs-dir", dir.toString()))
                .hasMessageContaining("conflicts with certs-dir");
        assertThatThrownBy(() -> load(List.of("127.0.0.1"), "--certs-dir", dir.resolve("none").toString()))
                .hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> load(List.of("127.0.0.1"), "--certs-dir", dir.toString()))
                .hasMessageContaining("certs-dir").hasMessageContaining("ca.crt (missing or unreadable)");
        assertThatThrownBy(() -> load(List.of("127.0.0.1"), "--insecure", "maybe"))
                .hasMessageContaining("must be true or false");
    }

    @Test
    void loopbackIsToldFromTheNetwork() {
        assertThat(SecuritySettings.isLoopback("127.0.0.1")).isTrue();
        assertThat(SecuritySettings.isLoopback("[::1]")).isTrue();
        assertThat(SecuritySettings.isLoopback("localhost")).isTrue();
        assertThat(SecuritySettings.isLoopback("0.0.0.0")).isFalse();
        assertThat(SecuritySettings.isLoopback("192.168.1.1")).isFalse();
    }
}

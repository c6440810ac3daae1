package io.shardkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

class IdentityTest {
    @Test
    void serverAndUserIdentitiesRoundTripThroughTheSubject() throws Exception {
        Identity kv = Identity.server(Role.KV_SERVER, 3);
        assertThat(kv.name()).isEqualTo("kv-3");
        assertThat(Identity.ofSubject(kv.subject())).isEqualTo(kv);
        Identity app = Identity.user("app", Role.CLIENT);
        assertThat(Identity.ofSubject(app.subject())).isEqualTo(app);
        assertThat(Identity.ofSubject(Identity.server(Role.META_SERVER, 12).subject()).serverId()).isEqualTo(12);
    }

    @Test
    void subjectsThatAreNotShardKvIdentitiesAreRefused() {
        assertThatThrownBy(() -> Identity.ofSubject(new X500Principal("CN=kv-3, OU=kv-server, O=Other")))
                .isInstanceOf(CertificateException.class).hasMessageContaining("not a ShardKV certificate");
        assertThatThrownBy(() -> Identity.ofSubject(new X500Principal("CN=meta-3, OU=kv-server, O=ShardKV")))
                .isInstanceOf(CertificateException.class).hasMessageContaining("kv-<id>");
        assertThatThrownBy(() -> Identity.ofSubject(new X500Principal("CN=kv-0, OU=kv-server, O=ShardKV")))
                .isInstanceOf(CertificateException.class).hasMessageContaining("start at 1");
        assertThatThrownBy(() -> Identity.ofSubject(new X500Principal("CN=root, OU=superuser, O=ShardKV")))
                .isInstanceOf(CertificateException.class).hasMessageContaining("unknown role 'superuser'");
        assertThatThrownBy(() -> Identity.ofSubject(new X500Principal("CN=kv-x, OU=kv-server, O=ShardKV")))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void userNamesAreCheckedAndCannotTakeAServerRole() {
        assertThatThrownBy(() -> Identity.user("Bad Name", Role.CLIENT)).hasMessageContaining("user name");
        assertThatThrownBy(() -> Identity.user("app", Role.KV_SERVER)).hasMessageContaining("admin or client");
        assertThatThrownBy(() -> Role.fromLabel("root")).hasMessageContaining("known roles: admin, client");
    }
}

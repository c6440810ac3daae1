package io.shardkv.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.security.ClientSecurity;
import io.shardkv.security.Identity;
import io.shardkv.security.Pem;
import io.shardkv.security.Role;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertCommandsTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    private static Result kvctl(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Kvctl.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
        return new Result(code, out.toString(), err.toString());
    }

    private Result kvctl(String... args) {
        return kvctl(new HashMap<>(Map.of("SHARDKV_CERTS_DIR", dir.toString())), args);
    }

    @Test
    void makesACaServerAndClientCertificatesThatLoad() throws Exception {
        assertThat(kvctl("cert", "create-ca").code()).isZero();
        Result servers = kvctl("cert", "create-server", "--kind", "kv", "--host", "kv-1.example", "--host", "10.0.0.7",
                "1", "2");
        assertThat(servers.code()).as(servers.err()).isZero();
        assertThat(kvctl("cert", "create-server", "--kind", "meta", "1").code()).isZero();
        assertThat(kvctl("cert", "create-client", "app", "--role", "client").code()).isZero();

        X509Certificate kv1 = Pem.readCertificates(dir.resolve("server.kv-1.crt")).get(0);
        assertThat(Identity.of(kv1)).isEqualTo(Identity.server(Role.KV_SERVER, 1));
        assertThat(kv1.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
                .contains("localhost", "127.0.0.1", "kv-1.example", "10.0.0.7");
        assertThat(Files.getPosixFilePermissions(dir.resolve("client.app.key")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.getPosixFilePermissions(dir.resolve("client.app.crt"))).contains(PosixFilePermission.OTHERS_READ);
        try (ClientSecurity app = ClientSecurity.certsDir(dir, "app")) {
            assertThat(app.identity()).contains(Identity.user("app", Role.CLIENT));
        }

        Result list = kvctl("cert", "list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("ca.crt", "(cluster CA)", "server.kv-2.crt", "kv-2", "kv-server",
                "server.meta-1.crt", "meta-server", "client.app.crt", "client");
    }

    @Test
    void badInputGetsAClearErrorAndWritesNothing() {
        Result noCa = kvctl("cert", "create-client", "root", "--role", "admin");
        assertThat(noCa.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noCa.err()).contains("no CA").contains("kvctl cert create-ca");

        assertThat(kvctl("cert", "create-ca").code()).isZero();
        Result again = kvctl("cert", "create-ca");
        assertThat(again.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).contains("ca.crt exists; pass --overwrite");

        Result role = kvctl("cert", "create-client", "app", "--role", "superuser");
        assertThat(role.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(role.err()).contains("unknown role 'superuser'").contains("admin, client");
        Result serverRole = kvctl("cert", "create-client", "app", "--role", "kv-server");
        assertThat(serverRole.err()).contains("admin or client");
        Result name = kvctl("cert", "create-client", "Bad Name", "--role", "client");
        assertThat(name.err()).contains("user name");
        Result kind = kvctl("cert", "create-server", "--kind", "storage", "1");
        assertThat(kind.err()).contains("--kind is kv or meta");
        Result id = kvctl("cert", "create-server", "--kind", "kv", "0");
        assertThat(id.err()).contains("positive");
        Result host = kvctl("cert", "create-server", "--kind", "kv", "--host", "bad host!", "1");
        assertThat(host.err()).contains("neither a host name nor an IP address");
        assertThat(dir.resolve("server.kv-1.crt")).doesNotExist();
        Result tooLong = kvctl("cert", "create-client", "app", "--role", "client", "--lifetime", "5000d");
        assertThat(tooLong.err()).contains("outlive its CA");

        Result noDir = kvctl(new HashMap<>(), "cert", "list");
        assertThat(noDir.err()).contains("needs --certs-dir");
    }

    @Test
    void dataCommandsNeedCertificatesOrAnExplicitInsecure() {
        Result none = kvctl(new HashMap<>(), "get", "k", "--meta", "127.0.0.1:1");
        assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("no certificates").contains("--certs-dir").contains("--insecure");

        Result both = kvctl(new HashMap<>(), "get", "k", "--insecure", "--certs-dir", dir.toString());
        assertThat(both.err()).contains("contradict");

        assertThat(kvctl("cert", "create-ca").code()).isZero();
        Result missing = kvctl(new HashMap<>(), "get", "k", "--certs-dir", dir.toString(), "--user", "nobody");
        assertThat(missing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("client.nobody.crt");
    }
}

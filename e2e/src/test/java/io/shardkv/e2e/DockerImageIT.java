package io.shardkv.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.exception.NotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.shardkv.security.CertsDir;
import io.shardkv.security.Identity;
import io.shardkv.security.Role;
import io.shardkv.security.certs.CertFiles;
import io.shardkv.security.certs.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.utility.MountableFile;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The deploy/ image on a real Docker engine: built from deploy/Dockerfile on the packaged jars,
 * a meta-server and a kv-server as containers that find each other by host name, kvctl inside
 * the image, /health and /metrics through published ports, and data kept across a restart of
 * the kv-server container. Skips where no Docker engine answers, and where the base image
 * (built offline by deploy/base-image.sh; .ci/run does that) is missing.
 */
@Testcontainers(disabledWithoutDocker = true)
class DockerImageIT {
    private static final String BASE_IMAGE = System.getProperty("shardkv.docker.base", "shardkv-base:local");
    private static final Duration STARTUP = Duration.ofSeconds(120);

    static Network network;
    static GenericContainer<?> meta;
    static GenericContainer<?> kv;

    @BeforeAll
    static void startContainers() {
        Assumptions.assumeTrue(imageExists(BASE_IMAGE), "no base image " + BASE_IMAGE
                + "; build it with deploy/base-image.sh");
        ImageFromDockerfile image = new ImageFromDockerfile("shardkv-it:latest", false)
                .withDockerfilePath("deploy/Dockerfile")
                .withBuildArg("BASE_IMAGE", BASE_IMAGE)
                .withFileFromPath("deploy/Dockerfile", repo("deploy/Dockerfile"))
                .withFileFromPath("deploy/entrypoint.sh", repo("deploy/entrypoint.sh"));
        for (String module : new String[] {"meta-server", "kv-server", "kvctl"}) {
            String jar = module + "/target/shardkv-" + module + "-0.1.0-SNAPSHOT.jar";
            image.withFileFromPath(jar, repo(jar)).withFileFromPath(module + "/target/lib", repo(module + "/target/lib"));
        }
        // The containers run with TLS: certificates made here, copied in as an operator would mount them.
        Path certsDir = makeCertificates();
        network = Network.newNetwork();
        meta = new GenericContainer<>(image).withNetwork(network).withNetworkAliases("meta1")
                .withCommand("meta-server")
                .withCopyFileToContainer(MountableFile.forHostPath(certsDir), "/certs")
                .withEnv("SHARDKV_CERTS_DIR", "/certs")
                .withEnv("SHARDKV_ID", "1").withEnv("SHARDKV_PEERS", "1=meta1:9010")
                .withEnv("SHARDKV_LISTEN", "meta1:9000").withEnv("SHARDKV_RAFT_LISTEN", "meta1:9010")
                .withEnv("SHARDKV_HTTP_LISTEN", "0.0.0.0:9020")
                .withEnv("SHARDKV_INITIAL_GROUPS", "2").withEnv("SHARDKV_REPLICAS", "1")
                .withExposedPorts(9020)
                .waitingFor(Wait.forHttp("/health").forPort(9020).forStatusCode(200).withStartupTimeout(STARTUP));
        meta.start();
        kv = new GenericContainer<>(image).withNetwork(network).withNetworkAliases("kv1")
                .withCommand("kv-server")
                .withCopyFileToContainer(MountableFile.forHostPath(certsDir), "/certs")
                .withEnv("SHARDKV_CERTS_DIR", "/certs")
                .withEnv("SHARDKV_ID", "1").withEnv("SHARDKV_META", "meta1:9000")
                .withEnv("SHARDKV_LISTEN", "kv1:9100").withEnv("SHARDKV_RAFT_LISTEN", "kv1:9200")
                .withEnv("SHARDKV_HTTP_LISTEN", "0.0.0.0:9300")
                .withExposedPorts(9300)
                .waitingFor(Wait.forHttp("/health").forPort(9300).forStatusCode(200).withStartupTimeout(STARTUP));
        kv.start();
    }

    @AfterAll
    static void stopContainers() {
        if (kv != null) {
            kv.stop();
        }
        if (meta != null) {
            meta.stop();
        }
        if (network != null) {
            network.close();
        }
    }

    @TempDir
    static Path temp;

    private static Path makeCertificates() {
        Path dir = temp.resolve("certs");
        try {
            CertsDir certs = new CertsDir(dir);
            CertificateAuthority ca = CertificateAuthority.create(Duration.ofDays(2));
            CertFiles.write(ca.certificate(), certs.caCert(), ca.key(), certs.defaultCaKey(), false);
            for (Identity who : List.of(Identity.server(Role.META_SERVER, 1), Identity.server(Role.KV_SERVER, 1),
                    Identity.user("root", Role.ADMIN))) {
                CertificateAuthority.Issued issued = ca.issue(who, who.role().isServer()
                        ? List.of(who.role() == Role.KV_SERVER ? "kv1" : "meta1") : List.of(), Duration.ofDays(1));
                CertFiles.write(issued.certificate(), certs.cert(who), issued.key(), certs.key(who), false);
            }
            // The image's user reads the keys inside the container.
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            return dir;
        } catch (Exception e) {
            throw new AssertionError("cannot make the certificates", e);
        }
    }

    private static Path repo(String relative) {
        return Commands.ROOT.resolve(relative);
    }

    private static boolean imageExists(String name) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(name).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** Runs kvctl inside the kv-server's container, against the meta-server by its host name. */
    private static ExecResult kvctl(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 5];
        command[0] = "/bin/sh";
        command[1] = "/opt/shardkv/entrypoint.sh";
        command[2] = "kvctl";
        command[3] = "--meta";
        command[4] = "meta1:9000";
        System.arraycopy(args, 0, command, 5, args.length);
        return kv.execInContainer(command);
    }

    private static String get(GenericContainer<?> c, int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + c.getHost() + ":" + c.getMappedPort(port) + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return r.body();
    }

    @Test
    void theImageRunsAClusterThatServesAndKeepsItsDataAcrossARestart() throws Exception {
        ExecResult ready = kvctl("cluster", "wait", "--groups", "2", "--timeout", "90s");
        assertThat(ready.getExitCode()).as("%s %s", ready.getStdout(), ready.getStderr()).isZero();
        assertThat(kvctl("put", "docker/a", "1").getExitCode()).isZero();
        assertThat(kvctl("put", "docker/b", "2").getExitCode()).isZero();
        assertThat(kvctl("scan", "--start", "docker/", "--end", "docker0").getStdout())
                .isEqualTo("docker/a\t1\ndocker/b\t2\n");
        ExecResult status = kvctl("cluster", "status");
        assertThat(status.getStdout()).contains("kv1:9100", "RUNNING");

        // Plaintext is refused: every port speaks TLS only.
        ExecResult plain = kvctl("--insecure", "--timeout", "3s", "get", "docker/a");
        assertThat(plain.getExitCode()).as("%s %s", plain.getStdout(), plain.getStderr()).isEqualTo(3);

        assertThat(get(meta, 9020, "/metrics")).contains("shardkv_meta_config_version");
        assertThat(get(kv, 9300, "/health")).startsWith("ok").contains("server_id: 1");

        // The data lives in the container's /data volume, which a restart keeps.
        DockerClientFactory.instance().client().restartContainerCmd(kv.getContainerId()).exec();
        ExecResult again = kvctl("--timeout", "60s", "get", "docker/a");
        assertThat(again.getExitCode()).as("%s %s", again.getStdout(), again.getStderr()).isZero();
        assertThat(again.getStdout()).isEqualTo("1\n");
        ExecResult absent = kvctl("get", "docker/none");
        assertThat(absent.getExitCode()).isEqualTo(1);
        assertThat(absent.getStderr()).contains("not found");
    }
}

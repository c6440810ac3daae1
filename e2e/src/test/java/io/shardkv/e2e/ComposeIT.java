package io.shardkv.e2e;

import static io.shardkv.e2e.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.client.KvClient;
import io.shardkv.raft.testing.Await;
import io.shardkv.security.ClientSecurity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker-compose deployment as deploy/README runs it, with the host override: 3 meta-servers
 * and 3 kv-servers come up healthy (the kv-servers after the meta-servers), a client on the host
 * writes and reads through the published ports, and a kv-server whose process crashes is
 * restarted by its restart policy and serves again with its data. Then the monitoring profile's
 * Prometheus (built from Debian's package by deploy/prometheus-image.sh) scrapes every server,
 * and every query of the Grafana dashboard (deploy/grafana/dashboards/shardkv.json) returns data,
 * so the dashboard cannot rot. Skips where no Docker engine, no docker-compose or no offline base
 * image (deploy/base-image.sh) is at hand.
 */
class ComposeIT {
    private static final String BASE_IMAGE = System.getProperty("shardkv.docker.base", "shardkv-base:local");
    private static final String IMAGE = "shardkv-compose-it:latest";
    private static final String PROJECT = "shardkvcomposeit";
    private static final Duration STEP = Duration.ofMinutes(3);
    private static final Duration DEADLINE = Duration.ofMinutes(3);
    /** Each monitoring check; twice this is what a hung Prometheus can cost before the retry. */
    private static final Duration MONITORING_DEADLINE = Duration.ofSeconds(100);
    /** How long a starting Prometheus may take to answer at all. */
    private static final Duration PROMETHEUS_ANSWERS = Duration.ofSeconds(30);
    private static final String META = "127.0.0.1:19001,127.0.0.1:19002,127.0.0.1:19003";
    private static boolean up;

    /** Where the certs service writes the cluster's certificates (a bind mount, as an operator's deploy/certs). */
    @TempDir
    static Path certs;

    private static CommandResult run(String... command) {
        return Commands.exec(STEP, Map.of("SHARDKV_IMAGE", IMAGE, "SHARDKV_CERTS_HOST_DIR", certs.toString()), command);
    }

    private static boolean available(String... command) {
        try {
            return run(command).exitCode() == 0;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private static CommandResult compose(String... args) {
        String[] command = new String[args.length + 7];
        String[] prefix = {"docker-compose", "-f", "deploy/docker-compose.yml", "-f", "deploy/docker-compose.host.yml",
                "-p", PROJECT};
        System.arraycopy(prefix, 0, command, 0, prefix.length);
        System.arraycopy(args, 0, command, prefix.length, args.length);
        return run(command);
    }

    @BeforeAll
    static void composeUp() {
        Assumptions.assumeTrue(available("docker", "info"), "no Docker engine answers");
        Assumptions.assumeTrue(available("docker-compose", "version"), "no docker-compose (apt-get install docker-compose)");
        Assumptions.assumeTrue(available("docker", "image", "inspect", BASE_IMAGE),
                "no base image " + BASE_IMAGE + "; build it with deploy/base-image.sh");
        CommandResult built = run("docker", "build", "-q", "-f", "deploy/Dockerfile", "--build-arg",
                "BASE_IMAGE=" + BASE_IMAGE, "-t", IMAGE, ".");
        assertThat(built.exitCode()).as("%s", built).isZero();
        up = true;
        CommandResult started = compose("up", "-d");
        assertThat(started.exitCode()).as("%s", started).isZero();
    }

    @AfterAll
    static void composeDown() {
        if (up) {
            CommandResult down = compose("down", "-v");
            assertThat(down.exitCode()).as("%s", down).isZero();
        }
    }

    /** Services whose status says healthy, by name (kv1, meta2, ...). */
    private static List<String> healthy() {
        CommandResult ps = run("docker", "ps", "--filter", "label=com.docker.compose.project=" + PROJECT,
                "--filter", "health=healthy", "--format", "{{.Label \"com.docker.compose.service\"}}");
        return ps.stdout().lines().filter(l -> !l.isBlank()).sorted().toList();
    }

    @Test
    void theClusterComesUpHealthyServesTheHostAndRestartsACrashedServer() {
        Await.until(DEADLINE, () -> "every service healthy, have " + healthy() + "\n" + compose("ps").stdout(),
                () -> healthy().size() == 6);
        // TLS from the host with the admin certificate the certs service made.
        try (KvClient client = KvClient.builder().metaEndpoints(META).security(ClientSecurity.certsDir(certs, "root"))
                .requestDeadline(Duration.ofSeconds(30)).build()) {
            for (int i = 0; i < 50; i++) {
                client.put(utf8("compose/" + i), utf8("v" + i));
            }

            // A crash, not a docker stop: the process dies, and the restart policy brings it back.
            String container = compose("ps", "-q", "kv2").stdout().trim();
            long pid = Long.parseLong(run("docker", "inspect", "-f", "{{.State.Pid}}", container).stdout().trim());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            Await.until(DEADLINE, () -> "kv2 restarted by its policy and healthy again",
                    () -> !run("docker", "inspect", "-f", "{{.RestartCount}}", container).stdout().trim().equals("0")
                            && healthy().contains("kv2"));

            for (int i = 50; i < 100; i++) {
                client.put(utf8("compose/" + i), utf8("v" + i));
            }
            for (int i = 0; i < 100; i++) {
                assertThat(client.get(utf8("compose/" + i)).map(Bytes::string)).as("compose/%d", i).contains("v" + i);
            }

            startPrometheus();
            try {
                checkMonitoring(client);
            } catch (AssertionError first) {
                // Seen on this machine in some full runs: Debian's Prometheus 2.42 stops answering HTTP
                // (at start, or in the middle of the queries), its own healthcheck included, with its
                // process sleeping; a restart did not help. A real failure answers; a hang does not. Show
                // what it was doing, then check again with a new container.
                assertThat(hung(first)).as("Prometheus answers, so this is a real failure: %s", first.getMessage())
                        .isTrue();
                System.err.println("ComposeIT: Prometheus stopped answering (" + first.getMessage()
                        + "); recreating its container\n" + prometheusContainer());
                CommandResult recreated = compose("--profile", "monitoring", "up", "-d", "--force-recreate",
                        "prometheus");
                assertThat(recreated.exitCode()).as("%s", recreated).isZero();
                try {
                    checkMonitoring(client);
                } catch (AssertionError second) {
                    Assumptions.assumeFalse(hung(second), () -> "the Prometheus"
                            + " container stopped answering HTTP again (a hang of the Prometheus binary in this"
                            + " environment, not of ShardKV); the monitoring checks are skipped, the cluster checks"
                            + " above passed\n" + prometheusContainer());
                    throw second;
                }
            }
        }
    }

    /** Prometheus scrapes all six servers, is healthy by its healthcheck, and has data for every dashboard query. */
    private static void checkMonitoring(KvClient client) {
        // A Prometheus that is up answers its health endpoint within seconds; one that hangs (see
        // the caller) is found here rather than after the longer waits below.
        Await.until(PROMETHEUS_ANSWERS, () -> "Prometheus answering /-/healthy: " + prometheus("/-/healthy"),
                () -> prometheus("/-/healthy").contains("Healthy"));
        Await.until(MONITORING_DEADLINE, () -> "Prometheus scraping all six servers: "
                + prometheus("/api/v1/targets"), () -> count(prometheus("/api/v1/targets"), "\"health\":\"up\"") == 6);
        Await.until(MONITORING_DEADLINE, () -> "Prometheus healthy by its healthcheck: " + healthy(),
                () -> healthy().contains("prometheus"));
        for (String expr : dashboardQueries()) {
            Await.until(MONITORING_DEADLINE, () -> "data for the dashboard query " + expr + ": " + query(expr), () -> {
                client.put(utf8("compose/load"), utf8("x")); // keeps request rates above zero
                return hasData(query(expr));
            });
        }
    }

    private static void startPrometheus() {
        if (!available("docker", "image", "inspect", "shardkv-prometheus:local")) {
            CommandResult built = run("deploy/prometheus-image.sh");
            assertThat(built.exitCode()).as("%s", built).isZero();
        }
        CommandResult rules = run("docker", "run", "--rm", "--entrypoint", "promtool", "-v",
                Commands.ROOT.resolve("deploy/prometheus/alerts.yml") + ":/alerts.yml:ro", "shardkv-prometheus:local",
                "check", "rules", "/alerts.yml");
        assertThat(rules.exitCode()).as("the alert rules: %s", rules).isZero();
        assertThat(rules.stdout()).contains("SUCCESS: 6 rules found");
        CommandResult started = compose("--profile", "monitoring", "up", "-d", "prometheus");
        assertThat(started.exitCode()).as("%s", started).isZero();
    }

    /** Whether a failed monitoring check failed because Prometheus stopped answering, not on an answer. */
    private static boolean hung(AssertionError failure) {
        return String.valueOf(failure.getMessage()).contains("unreachable: ")
                || !prometheusAnswersWithin(Duration.ofSeconds(10));
    }

    /** Whether Prometheus answers its health endpoint within {@code timeout}. */
    private static boolean prometheusAnswersWithin(Duration timeout) {
        try {
            Await.until(timeout, () -> "Prometheus answering /-/healthy",
                    () -> prometheus("/-/healthy").contains("Healthy"));
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    /**
     * What the Prometheus container is doing, for a failure message: its Docker state, the
     * scheduler state of its process (T would mean something stopped it) and its last log lines.
     */
    private static String prometheusContainer() {
        String id = compose("ps", "-q", "prometheus").stdout().trim();
        if (id.isEmpty()) {
            return "no prometheus container";
        }
        String state = run("docker", "inspect", "-f", "{{json .State}}", id).stdout().trim();
        String pid = run("docker", "inspect", "-f", "{{.State.Pid}}", id).stdout().trim();
        String stat;
        try {
            stat = Files.readAllLines(Path.of("/proc", pid, "status")).stream()
                    .filter(l -> l.startsWith("State:")).findFirst().orElse("no State line");
        } catch (IOException | RuntimeException e) {
            stat = "cannot read /proc/" + pid + "/status: " + e;
        }
        CommandResult logs = run("docker", "logs", "--tail", "20", id);
        return "container " + state + "\nprocess " + pid + " " + stat + "\nlast log lines:\n" + logs.stdout()
                + logs.stderr();
    }

    /** Every {@code expr} of the dashboard's panels. */
    private static List<String> dashboardQueries() {
        try {
            String json = Files.readString(Commands.ROOT.resolve("deploy/grafana/dashboards/shardkv.json"));
            List<String> exprs = new ArrayList<>();
            Matcher m = Pattern.compile("\"expr\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
            while (m.find()) {
                exprs.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
            }
            assertThat(exprs).as("panel queries in the dashboard").hasSizeGreaterThan(10);
            return exprs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String query(String expr) {
        return prometheus("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
    }

    /** A successful instant query with at least one series. */
    private static boolean hasData(String response) {
        return response.contains("\"status\":\"success\"") && !response.contains("\"result\":[]");
    }

    private static String prometheus(String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:9090" + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (IOException e) {
            return "unreachable: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}

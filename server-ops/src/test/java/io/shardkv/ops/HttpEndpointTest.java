package io.shardkv.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HttpEndpointTest {
    @Test
    void servesPrometheusMetricsAndHealth() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.counter("shardkv.test.requests").increment(3);
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (HttpEndpoint http = HttpEndpoint.start("127.0.0.1", 0, registry,
                () -> new Health(true, healthy.get(), Map.of("groups", "3")))) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + http.port();

            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("shardkv_test_requests_total 3.0");

            HttpResponse<String> ok = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).startsWith("ok\n").contains("groups: 3");

            healthy.set(false);
            HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(503);
            assertThat(bad.body()).startsWith("unhealthy\n").contains("ready: false");
            assertThat(get(client, base + "/health/ready").statusCode()).isEqualTo(503);
            // Not ready (say, the meta-servers are down) is still live: no probe should restart it.
            HttpResponse<String> live = get(client, base + "/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).startsWith("ok\n").contains("live: true", "ready: false");
            assertThat(get(client, base + "/health/other").statusCode()).isEqualTo(404);

            HttpResponse<String> missing = client.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
        }
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

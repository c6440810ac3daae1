package io.shardkv.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A server's operations port: {@code GET /metrics} in the Prometheus text format and
 * {@code GET /health}. One small thread serves it; scrapes are rare and cheap.
 */
public final class HttpEndpoint implements AutoCloseable {
    private static final String NOT_FOUND = "not found: try /metrics, /health (ready), /health/live\n";

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code host:port} (port 0 picks a free one) and starts serving. */
    public static HttpEndpoint start(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for HTTP on " + host + ":" + port, e);
        }
        server.createContext("/metrics", exchange -> {
            if (rejectNonGet(exchange)) {
                return;
            }
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
        });
        // /health is readiness, as it always was; /health/live answers liveness alone.
        for (String path : new String[] {"/health", "/health/ready", "/health/live"}) {
            boolean liveness = path.endsWith("/live");
            server.createContext(path, exchange -> {
                if (rejectNonGet(exchange)) {
                    return;
                }
                if (!exchange.getRequestURI().getPath().equals(path)) {
                    respond(exchange, 404, "text/plain; charset=utf-8", NOT_FOUND);
                    return;
                }
                Health h = health.get();
                boolean answer = liveness ? h.live() : h.ready();
                respond(exchange, answer ? 200 : 503, "text/plain; charset=utf-8", h.render(answer));
            });
        }
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8", NOT_FOUND));
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "http-endpoint-" + server.getAddress().getPort());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new HttpEndpoint(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static boolean rejectNonGet(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
            respond(exchange, 405, "text/plain; charset=utf-8", "only GET\n");
            return true;
        }
        return false;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}

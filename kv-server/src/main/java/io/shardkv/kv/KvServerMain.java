package io.shardkv.kv;

import io.shardkv.ops.SecuritySettings;
import io.shardkv.security.Identity;
import io.shardkv.security.Role;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.ServerSecurity;
import java.util.List;
import com.google.common.net.HostAndPort;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.shardkv.kv.server.KvServer;
import io.shardkv.kv.server.KvServerConfig;
import io.shardkv.ops.HttpEndpoint;
import io.shardkv.ops.Settings;
import io.shardkv.ops.SettingsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Runs a kv-server process: {@code --help} prints the settings; a bad setting exits with 2;
 * SIGTERM shuts down cleanly. Writes {@code DATA/server.pid} and {@code DATA/endpoints}
 * (listen=, raft=, http= with the actual ports).
 */
public final class KvServerMain {
    private static final Logger LOG = LoggerFactory.getLogger(KvServerMain.class);

    private KvServerMain() {
    }

    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println("usage: kv-server --id N --data-dir DIR --meta host:port,... [settings]\n"
                    + Settings.usage(KvSettings.KEYS));
            System.exit(0);
        }
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Settings settings;
        KvServerConfig config;
        HostAndPort http;
        ServerSecurity security;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            settings = Settings.load(KvSettings.KEYS, args, System.getenv());
            config = KvSettings.toConfig(settings);
            http = KvSettings.hostPort(settings, "http-listen");
            security = SecuritySettings.load(settings, Identity.server(Role.KV_SERVER, config.serverId()),
                    List.of(config.listenHost(), config.raftHost()), new SecurityMetrics(registry));
        } catch (SettingsException e) {
            System.err.println("kv-server: " + e.getMessage());
            System.exit(2);
            return;
        }
        settings.describe().forEach(line -> LOG.info("setting {}", line));
        KvServer server;
        HttpEndpoint endpoint;
        try {
            Files.createDirectories(config.dataDir());
            server = KvServer.start(config, registry, security);
            endpoint = HttpEndpoint.start(http.getHost(), http.getPort(), registry, server::health);
            writeFiles(config.dataDir(), server, http.getHost() + ":" + endpoint.port());
        } catch (IOException | RuntimeException e) {
            LOG.error("kv-server {} failed to start", config.serverId(), e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        HttpEndpoint httpEndpoint = endpoint;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down kv-server {}", config.serverId());
            httpEndpoint.close();
            server.close();
            stopped.countDown();
        }, "kv-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void writeFiles(Path dataDir, KvServer server, String httpAddress) throws IOException {
        Files.writeString(dataDir.resolve("server.pid"), ProcessHandle.current().pid() + "\n");
        String endpoints = "listen=" + server.address() + "\nraft=" + server.raftAddress() + "\nhttp=" + httpAddress
                + "\n";
        Path tmp = dataDir.resolve("endpoints.tmp");
        Files.writeString(tmp, endpoints);
        Files.move(tmp, dataDir.resolve("endpoints"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        LOG.info("endpoints: {}", endpoints.replace('\n', ' ').trim());
    }
}

package io.shardkv.meta;

import io.shardkv.ops.SecuritySettings;
import io.shardkv.security.Identity;
import io.shardkv.security.Role;
import io.shardkv.security.SecurityMetrics;
import io.shardkv.security.ServerSecurity;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.shardkv.meta.server.MetaServer;
import io.shardkv.meta.server.MetaServerConfig;
import io.shardkv.meta.server.MetaSettings;
import io.shardkv.ops.Settings;
import io.shardkv.ops.SettingsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The meta-server process: reads the settings, starts a {@link MetaServer}, writes
 * {@code DIR/server.pid} and {@code DIR/endpoints}, and stops cleanly on SIGTERM.
 * Exit codes: 0 after {@code --help} or a clean stop, 2 for bad settings, 1 when startup fails.
 */
public final class MetaServerMain {
    private static final Logger LOG = LoggerFactory.getLogger(MetaServerMain.class);

    private MetaServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println("usage: meta-server --id N --peers 1=host:port,... --data-dir DIR [settings]\n"
                    + Settings.usage(MetaSettings.KEYS));
            System.exit(0);
        }
        MetaServerConfig config;
        Settings settings;
        ServerSecurity security;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            settings = Settings.load(MetaSettings.KEYS, args, System.getenv());
            config = MetaSettings.toConfig(settings);
            security = SecuritySettings.load(settings, Identity.server(Role.META_SERVER, config.serverId()),
                    List.of(config.listen().host(), config.raftListen().host()), new SecurityMetrics(registry));
        } catch (SettingsException e) {
            System.err.println("meta-server: " + e.getMessage());
            System.exit(2);
            return;
        }
        settings.describe().forEach(line -> LOG.info("setting {}", line));
        MetaServer server;
        try {
            Files.createDirectories(config.dataDir());
            server = MetaServer.start(config, registry, security);
            writeRuntimeFiles(config.dataDir(), config, server);
        } catch (IOException | RuntimeException e) {
            LOG.error("meta-server {} failed to start", config.serverId(), e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("meta-server {} stopping", config.serverId());
            server.close();
            stopped.countDown();
        }, "meta-server-shutdown"));
        stopped.await();
    }

    private static void writeRuntimeFiles(Path dir, MetaServerConfig config, MetaServer server) throws IOException {
        writeAtomically(dir.resolve("server.pid"), ProcessHandle.current().pid() + "\n");
        writeAtomically(dir.resolve("endpoints"), "listen=" + config.listen().host() + ":" + server.grpcPort() + "\n"
                + "raft=" + config.raftListen().host() + ":" + server.raftPort() + "\n"
                + "http=" + config.httpListen().host() + ":" + server.httpPort() + "\n");
    }

    /** Readers (scripts) never see a half-written file. */
    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

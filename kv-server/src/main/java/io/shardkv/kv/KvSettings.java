package io.shardkv.kv;

import io.shardkv.kv.server.KvServerConfig;
import io.shardkv.kv.state.StateMachineSettings;
import io.shardkv.raft.ops.SettingKey;
import io.shardkv.raft.ops.Settings;
import io.shardkv.raft.ops.SettingsException;
import io.shardkv.raft.transport.GrpcTransportConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The kv-server's settings (flags, SHARDKV_* environment, config file) and how they map to a config. */
public final class KvSettings {
    public static final List<SettingKey> KEYS = List.of(
            SettingKey.required("id", "this server's id (1, 2, ...); also its replica id in every group"),
            SettingKey.optional("listen", "127.0.0.1:9100", "host:port of the KvService and KvAdmin gRPC server"),
            SettingKey.optional("raft-listen", "127.0.0.1:9200", "host:port of the raft transport"),
            SettingKey.optional("http-listen", "127.0.0.1:0", "host:port of /metrics and /health (port 0: any free)"),
            SettingKey.required("data-dir", "directory of the raft log, the KV database and snapshots"),
            SettingKey.required("meta", "meta-server endpoints, host:port,host:port,..."),
            SettingKey.optional("heartbeat-millis", "1000", "interval of heartbeats to the meta-server"),
            SettingKey.optional("tick-millis", "100", "raft tick (heartbeat every 2 ticks, election after 10)"),
            SettingKey.optional("request-timeout-millis", "5000",
                    "deadline of a request whose header sets none"),
            SettingKey.optional("session-ttl-millis", "86400000",
                    "client sessions not seen for this long (leader clock) are dropped"),
            SettingKey.optional("peer-silence-millis", Long.toString(GrpcTransportConfig.DEFAULT_PEER_SILENCE_MILLIS),
                    "a server that sends nothing on the raft transport for this long (pings go every sixth of it)"
                            + " is reported unreachable, and followers of the groups it leads elect new leaders"));

    private KvSettings() {
    }

    /** The parsed host and port of a {@code host:port} setting; port 0 means any free port. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public static HostPort hostPort(Settings s, String name) {
        String raw = s.string(name);
        int colon = raw.lastIndexOf(':');
        if (colon <= 0 || colon == raw.length() - 1) {
            throw s.bad(name, raw, "expected host:port");
        }
        try {
            int port = Integer.parseInt(raw.substring(colon + 1));
            if (port < 0 || port > 65_535) {
                throw s.bad(name, raw, "port must be between 0 and 65535");
            }
            return new HostPort(raw.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw s.bad(name, raw, "port is not a number");
        }
    }

    /** Builds the server config; throws SettingsException naming the first bad setting. */
    public static KvServerConfig toConfig(Settings s) {
        long id = s.longValue("id", 1, Long.MAX_VALUE);
        HostPort listen = hostPort(s, "listen");
        HostPort raft = hostPort(s, "raft-listen");
        hostPort(s, "http-listen");
        String dataDir = s.string("data-dir");
        if (dataDir.isBlank()) {
            throw s.bad("data-dir", dataDir, "must not be empty");
        }
        List<String> meta = new ArrayList<>();
        for (String part : s.string("meta").split(",")) {
            String e = part.trim();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.lastIndexOf(':');
            if (colon <= 0 || colon == e.length() - 1 || !e.substring(colon + 1).matches("[0-9]{1,5}")) {
                throw s.bad("meta", s.string("meta"), "'" + e + "' is not host:port");
            }
            meta.add(e);
        }
        if (meta.isEmpty()) {
            throw s.bad("meta", s.string("meta"), "at least one meta-server endpoint is required");
        }
        long heartbeat = s.longValue("heartbeat-millis", 10, 600_000);
        long tick = s.longValue("tick-millis", 1, 10_000);
        long timeout = s.longValue("request-timeout-millis", 1, 3_600_000);
        long ttl = s.longValue("session-ttl-millis", 1_000, Long.MAX_VALUE / 4);
        long silence = s.longValue("peer-silence-millis", 60, 600_000);
        StateMachineSettings sm = StateMachineSettings.defaults();
        sm = new StateMachineSettings(ttl, sm.sessionSweepEveryEntries(), sm.walSyncEveryEntries(),
                sm.maxRepliesPerClient());
        try {
            return new KvServerConfig(id, Path.of(dataDir), listen.host(), listen.port(), raft.host(), raft.port(),
                    meta, heartbeat, tick, timeout, sm, silence);
        } catch (IllegalArgumentException e) {
            throw new SettingsException(e.getMessage(), e);
        }
    }
}

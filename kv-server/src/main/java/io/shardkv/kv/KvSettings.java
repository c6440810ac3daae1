package io.shardkv.kv;

import com.google.common.net.HostAndPort;
import io.shardkv.common.HostPorts;
import io.shardkv.kv.server.KvServerConfig;
import io.shardkv.kv.state.StateMachineSettings;
import io.shardkv.ops.RaftTuning;
import io.shardkv.ops.SecuritySettings;
import io.shardkv.ops.SettingKey;
import io.shardkv.ops.Settings;
import io.shardkv.ops.SettingsException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The kv-server's settings (flags, SHARDKV_* environment, config file) and how they map to a config. */
public final class KvSettings {
    public static final List<SettingKey> KEYS = Stream.concat(Stream.of(
            SettingKey.required("id", "this server's id (1, 2, ...); also its replica id in every group"),
            SettingKey.optional("listen", "127.0.0.1:9100", "host:port of the KvService and KvAdmin gRPC server"),
            SettingKey.optional("raft-listen", "127.0.0.1:9200", "host:port of the raft transport"),
            SettingKey.optional("advertise", "", "host:port clients dial for the KvService when it is not the"
                    + " listen address (a published port, NAT); empty: the listen address. The meta-server"
                    + " still uses the listen address for KvAdmin"),
            SettingKey.optional("http-listen", "127.0.0.1:0", "host:port of /metrics and /health (port 0: any free)"),
            SettingKey.required("data-dir", "directory of the raft log, the KV database and snapshots"),
            SettingKey.required("meta", "meta-server endpoints, host:port,host:port,..."),
            SettingKey.optional("heartbeat-millis", "1000", "interval of heartbeats to the meta-server"),
            SettingKey.optional("migration-bytes-per-second", String.valueOf(64L << 20), "byte rate that slot"
                    + " migrations into this server's groups share (0: unlimited)"),
            SettingKey.optional("request-timeout-millis", "5000",
                    "deadline of a request whose header sets none"),
            SettingKey.optional("session-ttl-millis", "86400000",
                    "client sessions not seen for this long (leader clock) are dropped"),
            SettingKey.optional("max-sessions-per-group", Integer.toString(StateMachineSettings.DEFAULT_MAX_SESSIONS),
                    "client sessions a group keeps; beyond it the least recently seen is dropped, and that"
                    + " client's next write gets SESSION_EXPIRED (about 250 bytes of heap each)")),
            Stream.concat(SecuritySettings.KEYS.stream(), RaftTuning.KEYS.stream())).toList();

    private KvSettings() {
    }

    /** The parsed host and port of a {@code host:port} setting; port 0 means any free port. */
    public static HostAndPort hostPort(Settings s, String name) {
        String raw = s.string(name);
        try {
            return HostPorts.parse(raw, true);
        } catch (IllegalArgumentException e) {
            throw s.bad(name, raw, e.getMessage());
        }
    }

    private static String advertise(Settings s) {
        String raw = s.string("advertise").trim();
        if (raw.isEmpty()) {
            return "";
        }
        try {
            return HostPorts.parse(raw, false).toString();
        } catch (IllegalArgumentException e) {
            throw s.bad("advertise", raw, e.getMessage());
        }
    }

    /** Builds the server config; throws SettingsException naming the first bad setting. */
    public static KvServerConfig toConfig(Settings s) {
        long id = s.longValue("id", 1, Long.MAX_VALUE);
        HostAndPort listen = hostPort(s, "listen");
        HostAndPort raft = hostPort(s, "raft-listen");
        hostPort(s, "http-listen");
        String dataDir = s.string("data-dir");
        if (dataDir.isBlank()) {
            throw s.bad("data-dir", dataDir, "must not be empty");
        }
        List<String> meta;
        try {
            meta = HostPorts.parseList(s.string("meta")).stream().map(HostAndPort::toString).toList();
        } catch (IllegalArgumentException e) {
            throw s.bad("meta", s.string("meta"), e.getMessage());
        }
        long heartbeat = s.longValue("heartbeat-millis", 10, 600_000);
        long timeout = s.longValue("request-timeout-millis", 1, 3_600_000);
        long ttl = s.longValue("session-ttl-millis", 1_000, Long.MAX_VALUE / 4);
        StateMachineSettings sm = StateMachineSettings.defaults();
        sm = new StateMachineSettings(ttl, sm.sessionSweepEveryEntries(), sm.walSyncEveryEntries(),
                sm.maxRepliesPerClient(), s.intValue("max-sessions-per-group", 1, 10_000_000));
        try {
            return new KvServerConfig(id, Path.of(dataDir), listen.getHost(), listen.getPort(), raft.getHost(), raft.getPort(),
                    meta, heartbeat, timeout, sm, RaftTuning.from(s), advertise(s),
                    s.longValue("migration-bytes-per-second", 0, Long.MAX_VALUE / 1_000_000_000L));
        } catch (IllegalArgumentException e) {
            throw new SettingsException(e.getMessage(), e);
        }
    }
}

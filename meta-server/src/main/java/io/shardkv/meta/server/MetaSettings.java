package io.shardkv.meta.server;

import io.shardkv.meta.scheduler.SlotBalance;
import io.shardkv.ops.RaftTuning;
import io.shardkv.ops.SecuritySettings;
import io.shardkv.ops.SettingKey;
import io.shardkv.ops.Settings;
import io.shardkv.ops.SettingsException;
import io.shardkv.raft.transport.PeerAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The meta-server's settings (flags, config file keys and SHARDKV_* variables) and their reading. */
public final class MetaSettings {
    public static final List<SettingKey> KEYS = Stream.concat(Stream.of(
            SettingKey.required("id", "this meta-server's id (a positive integer, one of the --peers ids)"),
            SettingKey.required("peers", "raft addresses of all meta replicas including this one, as"
                    + " \"1=host:port,2=host:port,3=host:port\""),
            SettingKey.optional("listen", "127.0.0.1:9000", "host:port of the MetaService gRPC endpoint"),
            SettingKey.optional("raft-listen", "", "host:port the Raft transport binds; default: this id's"
                    + " entry in --peers"),
            SettingKey.optional("http-listen", "127.0.0.1:0", "host:port of /metrics and /health (port 0: any free"
                    + " port, see DIR/endpoints)"),
            SettingKey.required("data-dir", "directory of the meta log, the map store and snapshots"),
            SettingKey.optional("initial-groups", "3", "shard groups created when the cluster bootstraps"),
            SettingKey.optional("replicas", "3", "replicas per group at bootstrap and the default for new groups"),
            SettingKey.optional("server-down-millis", "10000", "a kv-server without a heartbeat for this long is"
                    + " marked SERVER_DOWN"),
            SettingKey.optional("leader-balance-millis", Long.toString(MetaServerConfig.DEFAULT_LEADER_BALANCE_MILLIS),
                    "when no task has been pending for this long, move one group leader from the kv-server leading"
                            + " the most groups to one leading fewer; 0 turns leader balancing off. After a kv-server"
                            + " was down or silent, balancing waits three times this long"),
            SettingKey.optional("slot-balance-millis", Long.toString(SlotBalance.DEFAULT.quietMillis()),
                    "when no task has been pending for this long, move slots from the group owning the most to the"
                            + " one owning the fewest; 0 turns slot balancing off"),
            SettingKey.optional("slot-balance-tolerance", Integer.toString(SlotBalance.DEFAULT
                    .tolerance()), "slots two groups may differ by before balancing moves any")),
            Stream.concat(SecuritySettings.KEYS.stream(), RaftTuning.KEYS.stream())).toList();

    private MetaSettings() {
    }

    /** Builds the config; throws {@link SettingsException} naming the bad setting. */
    public static MetaServerConfig toConfig(Settings s) {
        long id = s.longValue("id", 1, Long.MAX_VALUE);
        Map<Long, PeerAddress> peers = parsePeers(s);
        if (!peers.containsKey(id)) {
            throw s.bad("peers", s.string("peers"), "has no entry for this server's id " + id);
        }
        String raftRaw = s.string("raft-listen");
        Listen raft = raftRaw.isBlank() ? new Listen(peers.get(id).host(), peers.get(id).port())
                : listen(s, "raft-listen");
        return new MetaServerConfig(id, peers, listen(s, "listen"), raft, listen(s, "http-listen"),
                Path.of(s.string("data-dir")), s.intValue("initial-groups", 1, 1024), s.intValue("replicas", 1, 9),
                s.longValue("server-down-millis", 100, 86_400_000L),
                MetaServerConfig.DEFAULT_SCHEDULER_INTERVAL_MILLIS, MetaServerConfig.DEFAULT_ADMIN_TIMEOUT_MILLIS,
                MetaServerConfig.DEFAULT_ADMIN_CALL_DEADLINE_MILLIS, s.longValue("leader-balance-millis", 0, 86_400_000L),
                RaftTuning.from(s), new SlotBalance(s.longValue("slot-balance-millis", 0, 86_400_000L),
                        s.intValue("slot-balance-tolerance", 1, 1024)));
    }

    private static Listen listen(Settings s, String name) {
        try {
            return Listen.parse(s.string(name));
        } catch (IllegalArgumentException e) {
            throw s.bad(name, s.string(name), e.getMessage());
        }
    }

    private static Map<Long, PeerAddress> parsePeers(Settings s) {
        String raw = s.string("peers");
        Map<Long, PeerAddress> peers = new LinkedHashMap<>();
        for (String part : raw.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw s.bad("peers", raw, "each entry is id=host:port, got '" + p + "'");
            }
            try {
                long pid = Long.parseLong(p.substring(0, eq).trim());
                if (pid <= 0) {
                    throw s.bad("peers", raw, "ids are positive, got " + pid);
                }
                if (peers.put(pid, PeerAddress.parse(p.substring(eq + 1).trim())) != null) {
                    throw s.bad("peers", raw, "id " + pid + " appears twice");
                }
            } catch (IllegalArgumentException e) {
                throw s.bad("peers", raw, e.getMessage());
            }
        }
        return peers;
    }
}

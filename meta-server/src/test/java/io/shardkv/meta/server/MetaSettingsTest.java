package io.shardkv.meta.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.ops.Settings;
import io.shardkv.ops.SettingsException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetaSettingsTest {
    private static MetaServerConfig load(Map<String, String> env, String... args) {
        return MetaSettings.toConfig(Settings.load(MetaSettings.KEYS, args, env));
    }

    @Test
    void defaultsAndRaftListenFromPeers() {
        MetaServerConfig c = load(Map.of(), "--id", "2", "--peers", "1=127.0.0.1:7001, 2=127.0.0.1:7002,3=h:7003",
                "--data-dir", "/tmp/m2");
        assertThat(c.serverId()).isEqualTo(2);
        assertThat(c.peers()).hasSize(3);
        assertThat(c.raftListen()).isEqualTo(new Listen("127.0.0.1", 7002));
        assertThat(c.listen()).isEqualTo(new Listen("127.0.0.1", 9000));
        assertThat(c.httpListen().port()).isZero();
        assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/m2"));
        assertThat(c.initialGroups()).isEqualTo(3);
        assertThat(c.replicas()).isEqualTo(3);
        assertThat(c.serverDownMillis()).isEqualTo(10_000);
        assertThat(c.raft().tickMillis()).isEqualTo(100);
    }

    @Test
    void environmentAndFlagsOverride() {
        MetaServerConfig c = load(Map.of("SHARDKV_REPLICAS", "1"), "--id=1", "--peers", "1=127.0.0.1:7001",
                "--data-dir", "d", "--initial-groups", "5", "--raft-listen", "0.0.0.0:7001");
        assertThat(c.replicas()).isEqualTo(1);
        assertThat(c.initialGroups()).isEqualTo(5);
        assertThat(c.raftListen()).isEqualTo(new Listen("0.0.0.0", 7001));
    }

    @Test
    void badSettingsNameTheSetting() {
        assertThatThrownBy(() -> load(Map.of(), "--id", "4", "--peers", "1=127.0.0.1:7001", "--data-dir", "d"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("'peers'")
                .hasMessageContaining("no entry for this server's id 4");
        assertThatThrownBy(() -> load(Map.of(), "--id", "1", "--peers", "1=127.0.0.1", "--data-dir", "d"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("'peers'");
        assertThatThrownBy(() -> load(Map.of(), "--id", "1", "--peers", "1=h:1,1=h:2", "--data-dir", "d"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("appears twice");
        assertThatThrownBy(() -> load(Map.of(), "--id", "1", "--peers", "1=h:1", "--data-dir", "d", "--listen", "x"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("'listen'");
        assertThatThrownBy(() -> load(Map.of(), "--id", "1", "--peers", "1=h:1"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("data-dir");
    }
}

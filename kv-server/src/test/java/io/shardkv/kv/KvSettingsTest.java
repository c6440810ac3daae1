package io.shardkv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.kv.server.KvServerConfig;
import io.shardkv.ops.Settings;
import io.shardkv.ops.SettingsException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The kv-server's flags, environment and their checks. */
class KvSettingsTest {

    private static KvServerConfig config(Map<String, String> env, String... args) {
        return KvSettings.toConfig(Settings.load(KvSettings.KEYS, args, env));
    }

    @Test
    void flagsAndEnvironmentBuildTheConfig() {
        KvServerConfig c = config(Map.of("SHARDKV_TICK_MILLIS", "20"), "--id", "3", "--data-dir", "/tmp/d",
                "--meta", "127.0.0.1:9000, 127.0.0.1:9001", "--listen=127.0.0.1:0");
        assertThat(c.serverId()).isEqualTo(3);
        assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/d"));
        assertThat(c.metaEndpoints()).containsExactly("127.0.0.1:9000", "127.0.0.1:9001");
        assertThat(c.listenPort()).isZero();
        assertThat(c.raftHost()).isEqualTo("127.0.0.1");
        assertThat(c.raftPort()).isEqualTo(9200);
        assertThat(c.raft().tickMillis()).isEqualTo(20);
        assertThat(c.heartbeatMillis()).isEqualTo(1000);
    }

    @Test
    void badSettingsNameTheSetting() {
        List<String[]> bad = List.of(
                new String[] {"--data-dir", "/d", "--meta", "h:1"},
                new String[] {"--id", "0", "--data-dir", "/d", "--meta", "h:1"},
                new String[] {"--id", "1", "--data-dir", "/d", "--meta", "nohost"},
                new String[] {"--id", "1", "--data-dir", "/d", "--meta", ","},
                new String[] {"--id", "1", "--data-dir", "/d", "--meta", "h:1", "--raft-listen", "h:99999"},
                new String[] {"--id", "1", "--data-dir", "/d", "--meta", "h:1", "--unknown", "x"});
        for (String[] args : bad) {
            assertThatThrownBy(() -> config(Map.of(), args)).isInstanceOf(SettingsException.class);
        }
        assertThatThrownBy(() -> config(Map.of(), "--id", "1", "--data-dir", "/d", "--meta", "h:1",
                "--heartbeat-millis", "abc")).hasMessageContaining("heartbeat-millis");
    }
}

package io.shardkv.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    private static final List<SettingKey> KEYS = List.of(
            SettingKey.required("id", "server id"),
            SettingKey.optional("listen", "127.0.0.1:0", "client address"),
            SettingKey.optional("tick-millis", "100", "tick"));

    @Test
    void precedenceIsDefaultThenFileThenEnvironmentThenFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.properties");
        Files.writeString(file, "id=1\nlisten=10.0.0.1:1\ntick-millis=50\n");

        Settings fromFile = Settings.load(KEYS, new String[] {"--config", file.toString()}, Map.of());
        assertThat(fromFile.string("listen")).isEqualTo("10.0.0.1:1");

        Settings withEnv = Settings.load(KEYS, new String[] {"--config", file.toString()},
                Map.of("SHARDKV_TICK_MILLIS", "70"));
        assertThat(withEnv.intValue("tick-millis", 1, 1000)).isEqualTo(70);

        Settings withFlag = Settings.load(KEYS, new String[] {"--config=" + file, "--tick-millis", "90"},
                Map.of("SHARDKV_TICK_MILLIS", "70"));
        assertThat(withFlag.intValue("tick-millis", 1, 1000)).isEqualTo(90);
        assertThat(withFlag.describe()).contains("tick-millis = 90 (flag --tick-millis)");
    }

    @Test
    void configFileMayComeFromTheEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.properties");
        Files.writeString(file, "id=7\n");
        Settings s = Settings.load(KEYS, new String[0], Map.of(Settings.CONFIG_ENV, file.toString()));
        assertThat(s.longValue("id", 1, 100)).isEqualTo(7);
        assertThat(s.string("listen")).isEqualTo("127.0.0.1:0");
    }

    @Test
    void badInputNamesTheSetting(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Settings.load(KEYS, new String[0], Map.of()))
                .isInstanceOf(SettingsException.class).hasMessageContaining("missing required setting 'id'");
        assertThatThrownBy(() -> Settings.load(KEYS, new String[] {"--id", "1", "--tick", "5"}, Map.of()))
                .hasMessageContaining("unknown setting 'tick'");
        assertThatThrownBy(() -> Settings.load(KEYS, new String[] {"--id"}, Map.of()))
                .hasMessageContaining("--id needs a value");
        assertThatThrownBy(() -> Settings.load(KEYS, new String[] {"id", "1"}, Map.of()))
                .hasMessageContaining("expected --name value");
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "id=1\nlisen=x\n");
        assertThatThrownBy(() -> Settings.load(KEYS, new String[] {"--config", file.toString()}, Map.of()))
                .hasMessageContaining("unknown setting 'lisen'");
        assertThatThrownBy(() -> Settings.load(KEYS, new String[] {"--config", dir.resolve("none").toString()}, Map.of()))
                .hasMessageContaining("cannot read config file");

        Settings s = Settings.load(KEYS, new String[] {"--id", "x", "--tick-millis", "0"}, Map.of());
        assertThatThrownBy(() -> s.longValue("id", 1, 10)).hasMessageContaining("'id' = 'x' (from flag --id): not an integer");
        assertThatThrownBy(() -> s.intValue("tick-millis", 1, 10)).hasMessageContaining("between 1 and 10");
    }

    @Test
    void usageListsEverySetting() {
        assertThat(Settings.usage(KEYS)).contains("--id (required), env SHARDKV_ID")
                .contains("--tick-millis (default: 100), env SHARDKV_TICK_MILLIS");
    }
}

package io.shardkv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SlotsLimitsHostPortsTest {
    private static int slot(String key) {
        return Slots.of(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void slotIsCrc32cModulo1024() {
        // CRC32C("123456789") = 0xE3069283, the standard check value; 0xE3069283 % 1024 = 643.
        assertThat(slot("123456789")).isEqualTo(643);
        // The rest were computed with java.util.zip.CRC32C.
        assertThat(slot("a")).isEqualTo(816);
        assertThat(slot("key")).isEqualTo(365);
        assertThat(slot("user1000")).isEqualTo(830);
        assertThat(slot("hello")).isEqualTo(844);
        assertThat(slot("bench-0000000042")).isEqualTo(751);
        assertThat(Slots.of(new byte[] {(byte) 0xFF, 0, 1})).isBetween(0, 1023);
        assertThatThrownBy(() -> Slots.check(1024)).hasMessage("slot 1024 is outside [0, 1024)");
        assertThatThrownBy(() -> Slots.check(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void limitsSayWhatIsWrong() {
        assertThat(Limits.key(0)).contains("key is empty");
        assertThat(Limits.key(8192)).isEmpty();
        assertThat(Limits.key(8193)).contains("key is 8193 bytes, over the limit of 8192 bytes");
        assertThat(Limits.value(4 * 1024 * 1024)).isEmpty();
        assertThat(Limits.value(4 * 1024 * 1024 + 1)).contains("value is 4194305 bytes, over the limit of 4194304 bytes");
        assertThat(Limits.batch(16L << 20)).isEmpty();
        assertThat(Limits.batch((16L << 20) + 1)).contains("batch is 16777217 bytes, over the limit of 16777216 bytes");
        assertThat(Limits.scanLimit(10_000)).isEmpty();
        assertThat(Limits.scanLimit(10_001)).contains("scan limit 10001 is out of range 0..10000");
        assertThat(Limits.scanLimit(1L << 32)).isPresent();
        assertThat(Limits.scanRange(1, 0, false)).isEmpty();
        assertThat(Limits.scanRange(1, 1, false)).contains("scan end must be greater than start (or empty for no bound)");
        assertThat(Limits.scanRange(8193, 0, true)).contains("scan bound is over the key limit of 8192 bytes");
    }

    @Test
    void hostPortsParseAndRefuse() {
        assertThat(HostPorts.parse("127.0.0.1:9000", false)).isEqualTo(HostAndPort.fromParts("127.0.0.1", 9000));
        assertThat(HostPorts.parse("[::1]:7000", false).getHost()).isEqualTo("::1");
        assertThat(HostPorts.parse("0.0.0.0:0", true).getPort()).isZero();
        assertThat(HostPorts.parseList(" a:1, b:2 ,")).containsExactly(HostAndPort.fromParts("a", 1),
                HostAndPort.fromParts("b", 2));
        assertThatThrownBy(() -> HostPorts.parse("host", false)).hasMessage("expected host:port, got 'host'");
        assertThatThrownBy(() -> HostPorts.parse("host:", false)).hasMessage("expected host:port, got 'host:'");
        assertThatThrownBy(() -> HostPorts.parse(":80", false)).hasMessage("expected host:port, got ':80'");
        assertThatThrownBy(() -> HostPorts.parse("h:0", false)).hasMessage("port 0 in 'h:0' is outside [1, 65535]");
        assertThatThrownBy(() -> HostPorts.parse("h:70000", true)).hasMessage("expected host:port, got 'h:70000'");
        assertThatThrownBy(() -> HostPorts.parse("h:x", true)).hasMessage("expected host:port, got 'h:x'");
        assertThatThrownBy(() -> HostPorts.parseList(" , ")).hasMessageContaining("no endpoints given");
    }
}

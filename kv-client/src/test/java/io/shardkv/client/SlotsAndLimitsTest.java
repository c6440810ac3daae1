package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.kv.proto.ErrorCode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SlotsAndLimitsTest {
    private static int slot(String key) {
        return Slots.slotOf(key.getBytes(StandardCharsets.UTF_8));
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
        assertThat(Slots.slotOf(new byte[] {(byte) 0xFF, 0, 1})).isBetween(0, 1023);
    }

    @Test
    void keyLimits() {
        assertInvalid(() -> Limits.checkKey(new byte[0]), "key is empty");
        assertThatCode(() -> Limits.checkKey(new byte[8192])).doesNotThrowAnyException();
        assertInvalid(() -> Limits.checkKey(new byte[8193]), "key is 8193 bytes, over the limit of 8192 bytes");
    }

    @Test
    void valueAndBatchLimits() {
        assertThatCode(() -> Limits.checkValue(new byte[4 * 1024 * 1024])).doesNotThrowAnyException();
        assertThatCode(() -> Limits.checkValue(new byte[0])).doesNotThrowAnyException();
        assertInvalid(() -> Limits.checkValue(new byte[4 * 1024 * 1024 + 1]),
                "value is 4194305 bytes, over the limit of 4194304 bytes");
        assertThatCode(() -> Limits.checkBatchBytes(16L * 1024 * 1024)).doesNotThrowAnyException();
        assertInvalid(() -> Limits.checkBatchBytes(16L * 1024 * 1024 + 1),
                "batch is 16777217 bytes, over the limit of 16777216 bytes");
    }

    @Test
    void scanLimits() {
        byte[] b = {'b'};
        assertThatCode(() -> Limits.checkScanRange(b, new byte[0])).doesNotThrowAnyException();
        assertThatCode(() -> Limits.checkScanRange(b, new byte[] {'c'})).doesNotThrowAnyException();
        assertInvalid(() -> Limits.checkScanRange(b, b), "scan end must be greater than start");
        assertInvalid(() -> Limits.checkScanRange(b, new byte[] {'a'}), "scan end must be greater than start");
        // Unsigned order: 0xFF sorts after 'b'.
        assertThatCode(() -> Limits.checkScanRange(b, new byte[] {(byte) 0xFF})).doesNotThrowAnyException();
        assertThatCode(() -> Limits.checkScanLimit(0)).doesNotThrowAnyException();
        assertThatCode(() -> Limits.checkScanLimit(10_000)).doesNotThrowAnyException();
        assertInvalid(() -> Limits.checkScanLimit(10_001), "scan limit 10001 is out of range 0..10000");
        assertThatThrownBy(() -> ScanOptions.all().withPageSize(20_000)).isInstanceOf(KvException.class);
    }

    private static void assertInvalid(Runnable check, String message) {
        assertThatThrownBy(check::run)
                .isInstanceOf(KvException.class)
                .hasMessage(message)
                .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
}

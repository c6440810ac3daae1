package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.kv.proto.ErrorCode;
import org.junit.jupiter.api.Test;

/** The client refuses what the servers would refuse, before sending it, with the same words. */
class RequestChecksTest {
    @Test
    void keyLimits() {
        assertInvalid(() -> RequestChecks.checkKey(new byte[0]), "key is empty");
        assertThatCode(() -> RequestChecks.checkKey(new byte[8192])).doesNotThrowAnyException();
        assertInvalid(() -> RequestChecks.checkKey(new byte[8193]), "key is 8193 bytes, over the limit of 8192 bytes");
    }

    @Test
    void valueAndBatchLimits() {
        assertThatCode(() -> RequestChecks.checkValue(new byte[4 * 1024 * 1024])).doesNotThrowAnyException();
        assertThatCode(() -> RequestChecks.checkValue(new byte[0])).doesNotThrowAnyException();
        assertInvalid(() -> RequestChecks.checkValue(new byte[4 * 1024 * 1024 + 1]),
                "value is 4194305 bytes, over the limit of 4194304 bytes");
        assertThatCode(() -> RequestChecks.checkBatchBytes(16L * 1024 * 1024)).doesNotThrowAnyException();
        assertInvalid(() -> RequestChecks.checkBatchBytes(16L * 1024 * 1024 + 1),
                "batch is 16777217 bytes, over the limit of 16777216 bytes");
    }

    @Test
    void scanLimits() {
        byte[] b = {'b'};
        assertThatCode(() -> RequestChecks.checkScanRange(b, new byte[0])).doesNotThrowAnyException();
        assertThatCode(() -> RequestChecks.checkScanRange(b, new byte[] {'c'})).doesNotThrowAnyException();
        assertInvalid(() -> RequestChecks.checkScanRange(b, b), "scan end must be greater than start (or empty for no bound)");
        assertInvalid(() -> RequestChecks.checkScanRange(b, new byte[] {'a'}), "scan end must be greater than start (or empty for no bound)");
        // Unsigned order: 0xFF sorts after 'b'.
        assertThatCode(() -> RequestChecks.checkScanRange(b, new byte[] {(byte) 0xFF})).doesNotThrowAnyException();
        assertThatCode(() -> RequestChecks.checkScanLimit(0)).doesNotThrowAnyException();
        assertThatCode(() -> RequestChecks.checkScanLimit(10_000)).doesNotThrowAnyException();
        assertInvalid(() -> RequestChecks.checkScanLimit(10_001), "scan limit 10001 is out of range 0..10000");
        assertThatThrownBy(() -> ScanOptions.all().withPageSize(20_000)).isInstanceOf(KvException.class);
    }

    private static void assertInvalid(Runnable check, String message) {
        assertThatThrownBy(check::run)
                .isInstanceOf(KvException.class)
                .hasMessage(message)
                .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
}

package io.shardkv.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestsTest {

    @Test
    void keysAreSixteenBytesWithTenDigits() {
        assertThat(new String(Requests.key(42), StandardCharsets.US_ASCII)).isEqualTo("bench-0000000042");
        assertThat(new String(Requests.key(9_999_999_999L), StandardCharsets.US_ASCII)).isEqualTo("bench-9999999999");
        assertThat(Requests.key(0)).hasSize(Requests.KEY_BYTES);
        assertThatThrownBy(() -> Requests.key(10_000_000_000L)).isInstanceOf(IllegalArgumentException.class);
    }
}

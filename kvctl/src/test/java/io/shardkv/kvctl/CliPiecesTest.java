package io.shardkv.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.client.KvException;
import io.shardkv.client.KvTimeoutException;
import io.shardkv.client.MetaException;
import io.shardkv.client.TaskFailedException;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.Task;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CliPiecesTest {
    @Test
    void slotRangesAreCompressed() {
        assertThat(SlotRanges.compress(List.of())).isEqualTo("-");
        assertThat(SlotRanges.compress(List.of(5))).isEqualTo("5");
        assertThat(SlotRanges.compress(List.of(0, 1, 2, 3))).isEqualTo("0-3");
        assertThat(SlotRanges.compress(List.of(700, 0, 1, 500, 701, 2))).isEqualTo("0-2,500,700-701");
        java.util.List<Integer> all = new java.util.ArrayList<>();
        for (int i = 0; i <= 341; i++) {
            all.add(i);
        }
        assertThat(SlotRanges.compress(all)).isEqualTo("0-341");
    }

    @Test
    void durationsParse() {
        assertThat(DurationConverter.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationConverter.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse("7")).isEqualTo(Duration.ofSeconds(7));
        assertThat(DurationConverter.parse("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> DurationConverter.parse("soon"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void exitCodesByFailure() {
        assertThat(ExitCodes.of(new KvException(ErrorCode.INVALID_ARGUMENT, "x"))).isEqualTo(2);
        assertThat(ExitCodes.of(new KvTimeoutException("x", null))).isEqualTo(3);
        assertThat(ExitCodes.of(new KvException(ErrorCode.UNAVAILABLE, "x"))).isEqualTo(3);
        assertThat(ExitCodes.of(new MetaException(MetaErrorCode.UNAVAILABLE, "x"))).isEqualTo(3);
        assertThat(ExitCodes.of(new MetaException(MetaErrorCode.NOT_FOUND, "x"))).isEqualTo(4);
        assertThat(ExitCodes.of(new MetaException(MetaErrorCode.FAILED_PRECONDITION, "x"))).isEqualTo(4);
        assertThat(ExitCodes.of(new MetaException(MetaErrorCode.INVALID_ARGUMENT, "x"))).isEqualTo(2);
        assertThat(ExitCodes.of(new TaskFailedException(Task.getDefaultInstance()))).isEqualTo(4);
        assertThat(ExitCodes.of(new IllegalArgumentException("x"))).isEqualTo(2);
        assertThat(ExitCodes.messageOf(new KvTimeoutException("get timed out",
                new MetaException(MetaErrorCode.UNAVAILABLE, "cannot reach the meta-servers at a:1: refused"))))
                .isEqualTo("cannot reach the meta-servers at a:1: refused");
    }
}

package io.shardkv.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.client.KvException;
import io.shardkv.client.KvTimeoutException;
import io.shardkv.client.MetaException;
import io.shardkv.client.TaskFailedException;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MigrationProgress;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
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

    @Test
    void slotRangesAreParsed() {
        List<Integer> slots = SlotRanges.parse("0-99,512");
        assertThat(slots).hasSize(101).startsWith(0, 1).endsWith(99, 512);
        assertThat(SlotRanges.parse(" 5, 3-4,4 ")).containsExactly(3, 4, 5);
        assertThat(SlotRanges.parse("1023")).containsExactly(1023);
        assertThat(SlotRanges.compress(SlotRanges.parse("700-701,0-2,500"))).isEqualTo("0-2,500,700-701");
        assertThatThrownBy(() -> SlotRanges.parse("1024")).hasMessage("slot 1024 is outside 0..1023");
        assertThatThrownBy(() -> SlotRanges.parse("3-1")).hasMessage("'3-1' is not a range: 3 is above 1");
        assertThatThrownBy(() -> SlotRanges.parse("1,,2")).hasMessageStartingWith("'' is not a slot");
        assertThatThrownBy(() -> SlotRanges.parse("-1")).hasMessageStartingWith("'-1' is not a slot");
        assertThatThrownBy(() -> SlotRanges.parse("99999999999")).hasMessageStartingWith("'99999999999' is not a slot");
        assertThatThrownBy(() -> SlotRanges.parse(" ")).hasMessageStartingWith("no slots given");
    }

    @Test
    void migrationFiguresAndEta() {
        assertThat(MigrationFormatter.bytes(0)).isEqualTo("0 B");
        assertThat(MigrationFormatter.bytes(1023)).isEqualTo("1023 B");
        assertThat(MigrationFormatter.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(MigrationFormatter.bytes(5L << 30)).isEqualTo("5.0 GiB");
        assertThat(MigrationFormatter.rate(0)).isEqualTo("? B/s");
        assertThat(MigrationFormatter.rate(Double.NaN)).isEqualTo("? B/s");
        assertThat(MigrationFormatter.rate(3 * 1024 * 1024)).isEqualTo("3.0 MiB/s");
        assertThat(MigrationFormatter.duration(45)).isEqualTo("45s");
        assertThat(MigrationFormatter.duration(185)).isEqualTo("3m05s");
        assertThat(MigrationFormatter.duration(7620)).isEqualTo("2h07m");

        MigrationProgress.Builder p = MigrationProgress.newBuilder().setBytesCopied(1000).setBytesPerSecond(300);
        // Without an estimate, or without a rate, there is no ETA.
        assertThat(MigrationFormatter.etaSeconds(p.build())).isEmpty();
        assertThat(MigrationFormatter.etaSeconds(p.setBytesEstimate(2000).setBytesPerSecond(0).build())).isEmpty();
        assertThat(MigrationFormatter.etaSeconds(p.setBytesPerSecond(300).build())).isEqualTo(OptionalLong.of(4));
        assertThat(MigrationFormatter.etaSeconds(p.setBytesCopied(2500).build())).isEqualTo(OptionalLong.of(0));
        assertThat(MigrationFormatter.figures(MigrationProgress.getDefaultInstance(), false)).isEqualTo("-");
    }

    @Test
    void aMigrationsErrorNamesTheAbortReasonAndTheLastError() {
        Task.Builder task = Task.newBuilder().setId(7).setType(TaskType.MOVE_SLOTS).setGroupId(1).setTargetGroupId(2)
                .addSlots(3).setState(TaskState.PENDING).setStep("copied");
        assertThat(MigrationFormatter.error(task.build())).isEmpty();
        assertThat(MigrationFormatter.state(task.build())).isEqualTo("PENDING");
        task.setAbortReason("cancelled by operator");
        assertThat(MigrationFormatter.state(task.build())).isEqualTo("ABORTING");
        assertThat(MigrationFormatter.error(task.build())).isEqualTo("cancelled by operator");
        task.setLastError("group 2 has no leader");
        assertThat(MigrationFormatter.error(task.build()))
                .isEqualTo("cancelled by operator; last error: group 2 has no leader");
        assertThat(StatusFormatter.describe(task.build())).isEqualTo("task 7 MOVE_SLOTS group 1 -> group 2 slots 3:"
                + " PENDING, step 'copied', aborting: cancelled by operator, last error: group 2 has no leader");
        assertThat(MigrationFormatter.step(Task.getDefaultInstance())).isEqualTo("planned");
    }

    @Test
    void clusterStatusShowsEachGroupsMovesCompactly() {
        ClusterMap.Builder map = ClusterMap.newBuilder().setConfigVersion(9);
        for (long group = 1; group <= 3; group++) {
            map.addGroups(ShardGroupInfo.newBuilder().setId(group));
        }
        for (int slot = 0; slot < 1024; slot++) {
            SlotInfo.Builder info = SlotInfo.newBuilder().setState(SlotState.RUNNING).setGroupId(slot < 512 ? 1 : 2);
            if (slot < 10) {
                info.setState(SlotState.MIGRATING).setMigrationGroupId(2);
            } else if (slot >= 256 && slot < 512) {
                info.setState(SlotState.MIGRATING).setMigrationGroupId(3);
            }
            map.addSlots(info);
        }
        String status = StatusFormatter.format(ClusterStatusResponse.newBuilder().setMap(map).build());
        assertThat(status).contains(
                "0-511 (512); migrating 0-9 -> group 2; migrating 256-511 -> group 3",
                "512-1023 (512); importing 0-9 from group 1",
                "- (0); importing 256-511 from group 1",
                "migrating slots: 0-9,256-511");
    }

    @Test
    void jsonStringsAreEscaped() {
        assertThat(Json.quote("a\"b\\c\n\u0001é")).isEqualTo("\"a\\\"b\\\\c\\n\\u0001é\"");
        assertThat(Json.slots(List.of())).isEqualTo("\"\"");
        assertThat(Json.slots(List.of(512, 0, 1))).isEqualTo("\"0-1,512\"");
    }
}

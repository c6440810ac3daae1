package io.shardkv.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.client.TestMigrationMeta;
import io.shardkv.meta.proto.TaskState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * kvctl slot move / status / cancel and the moves in cluster status, run in-process against
 * {@link TestMigrationMeta} (a fake meta leader on real gRPC whose move tasks go one step forward
 * each time their status is read).
 */
class SlotCommandsTest {
    private TestMigrationMeta meta;

    record Result(int code, String out, String err) {
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (meta != null) {
            meta.close();
        }
    }

    private static Result kvctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // The test meta-server runs without TLS.
        int code = Kvctl.run(args, new PrintWriter(out, true), new PrintWriter(err, true),
                new HashMap<>(java.util.Map.of("SHARDKV_INSECURE", "true")));
        return new Result(code, out.toString(), err.toString());
    }

    private Result onMeta(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--meta");
        all.add(meta.endpoints());
        return kvctl(all.toArray(new String[0]));
    }

    @Test
    void moveWaitsPrintingEachPhaseUntilEveryTaskIsDone() throws Exception {
        meta = TestMigrationMeta.start(2);
        meta.setLeader(1);

        Result r = onMeta("slot", "move", "0-9,512-521", "--to", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("moving slots 0-9,512-521 (20) to group 3; tasks 1,2; waiting");
        assertThat(lines).containsSubsequence(
                "  task 1 (group 1 -> 3, slots 0-9): preparing, step prepared, 0 keys, 0 B of 9.8 KiB copied, "
                        + "? B/s, lag 0, ETA ?",
                "  task 1 (group 1 -> 3, slots 0-9): copying, step begun, 50 keys, 4.9 KiB of 9.8 KiB copied, "
                        + "2.4 KiB/s, lag 40, ETA 2s",
                "  task 1 (group 1 -> 3, slots 0-9): catching-up, step copied, 100 keys, 9.8 KiB of 9.8 KiB copied, "
                        + "2.4 KiB/s, lag 5, ETA 0s",
                "  task 1 (group 1 -> 3, slots 0-9): sessions, step frozen, 100 keys, 9.8 KiB of 9.8 KiB copied, "
                        + "2.4 KiB/s, lag 0, ETA 0s",
                "  task 1 (group 1 -> 3, slots 0-9): ready, step committed, 100 keys, 9.8 KiB of 9.8 KiB copied, "
                        + "2.4 KiB/s, lag 0, ETA 0s",
                "  task 1 (group 1 -> 3, slots 0-9): active, step activated, 100 keys, 9.8 KiB of 9.8 KiB copied, "
                        + "2.4 KiB/s, lag 0, ETA 0s",
                "  task 1 (group 1 -> 3, slots 0-9): done, 100 keys, 9.8 KiB copied in 2s");
        assertThat(lines).contains("  task 2 (group 2 -> 3, slots 512-521): done, 100 keys, 9.8 KiB copied in 2s");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("moved slots 0-9,512-521 to group 3");
        assertThat(meta.ownerOf(0)).isEqualTo(3);
        assertThat(meta.ownerOf(521)).isEqualTo(3);

        Result status = onMeta("cluster", "status");
        assertThat(status.out()).contains("10-511 (502)", "0-9,512-521 (20)", "522-1023 (502)")
                .doesNotContain("migrating");
    }

    @Test
    void noWaitThenStatusClusterStatusAndCancel() throws Exception {
        meta = TestMigrationMeta.start(1);

        Result moved = onMeta("slot", "move", "20-29", "--to", "3", "--no-wait");
        assertThat(moved).isEqualTo(new Result(0, "moving slots 20-29 (10) to group 3; task 1" + nl(), ""));

        Result cluster = onMeta("cluster", "status");
        assertThat(cluster.code()).isZero();
        assertThat(cluster.out()).contains(
                "0-511 (512); migrating 20-29 -> group 3",
                "512-1023 (512)",
                "- (0); importing 20-29 from group 1",
                "migrating slots: 20-29",
                "task 1 MOVE_SLOTS group 1 -> group 3 slots 20-29: PENDING");

        Result table = onMeta("slot", "status");
        assertThat(table.code()).isZero();
        assertThat(table.out()).isEqualTo(""
                + "  ID  MOVE    SLOTS       STATE    STEP      PHASE      PROGRESS" + " ".repeat(44) + "ERROR\n"
                + "  1   1 -> 3  20-29 (10)  PENDING  prepared  preparing  0 keys, 0 B of 9.8 KiB copied, ? B/s, lag 0,"
                + " ETA ?  -\n");

        Result json = onMeta("slot", "status", "1", "--output", "json");
        assertThat(json.out()).isEqualTo("{\"migrations\":[{\"id\":1,\"source_group_id\":1,\"target_group_id\":3,"
                + "\"slots\":\"20-29\",\"slot_count\":10,\"state\":\"PENDING\",\"step\":\"begun\",\"aborting\":false,"
                + "\"abort_reason\":\"\",\"last_error\":\"\",\"created_version\":2,\"progress\":{\"phase\":\"copying\","
                + "\"keys_copied\":50,\"bytes_copied\":5000,\"bytes_estimate\":10000,\"bytes_per_second\":2500.0,"
                + "\"journal_lag\":40,\"elapsed_millis\":500,\"eta_seconds\":2,\"last_error\":\"\"}}]}" + nl());

        Result cancelled = onMeta("slot", "cancel", "1");
        assertThat(cancelled.code()).as(cancelled.err()).isZero();
        assertThat(cancelled.out()).startsWith("task 1: cancelled; the move is being undone");
        assertThat(meta.task(1).getAbortReason()).isEqualTo("cancelled by operator");

        Result ended = onMeta("slot", "status", "1");
        assertThat(ended.out()).contains("  1   1 -> 3  20-29 (10)  FAILED", "aborted: cancelled by operator");
        assertThat(meta.ownerOf(20)).isEqualTo(1);
        assertThat(onMeta("cluster", "status").out()).doesNotContain("migrating");

        Result again = onMeta("slot", "cancel", "1");
        assertThat(again.code()).isEqualTo(4);
        assertThat(again.err()).isEqualTo("kvctl: task 1 cannot be cancelled: it has already ended FAILED "
                + "(aborted: cancelled by operator); slots 20-29 stayed with group 1" + nl());
    }

    @Test
    void clusterStatusAsJsonShowsAMoveInFlightOnBothGroups() throws Exception {
        meta = TestMigrationMeta.start(1);
        assertThat(onMeta("slot", "move", "20-29", "--to", "3", "--no-wait").code()).isZero();

        Result json = onMeta("cluster", "status", "--output", "json");
        assertThat(json.code()).as(json.err()).isZero();
        String otherServer = ",\"client_address\":\"\",\"state\":\"RUNNING\",\"last_heartbeat_age_millis\":300,"
                + "\"leader_of\":[]}";
        String replicas = ",\"leader_id\":1,\"term\":2,\"replicas\":[{\"server_id\":1,\"role\":\"VOTER\"},"
                + "{\"server_id\":2,\"role\":\"VOTER\"},{\"server_id\":3,\"role\":\"VOTER\"}]";
        assertThat(json.out()).isEqualTo("{\"config_version\":2,\"meta_leader_id\":1,\"servers\":["
                + "{\"id\":1,\"address\":\"127.0.0.1:7001\",\"raft_address\":\"127.0.0.1:8001\",\"client_address\":\"\","
                + "\"state\":\"RUNNING\",\"last_heartbeat_age_millis\":300,\"leader_of\":[1,2,3,4,5]},"
                + "{\"id\":2,\"address\":\"127.0.0.1:7002\",\"raft_address\":\"127.0.0.1:8002\"" + otherServer + ","
                + "{\"id\":3,\"address\":\"127.0.0.1:7003\",\"raft_address\":\"127.0.0.1:8003\"" + otherServer + "],"
                + "\"groups\":["
                + "{\"id\":1" + replicas + ",\"slots\":\"0-511\",\"slot_count\":512,"
                + "\"migrating\":[{\"slots\":\"20-29\",\"to_group\":3}],\"importing\":[]},"
                + "{\"id\":2" + replicas + ",\"slots\":\"512-1023\",\"slot_count\":512,\"migrating\":[],\"importing\":[]},"
                + "{\"id\":3" + replicas + ",\"slots\":\"\",\"slot_count\":0,\"migrating\":[],"
                + "\"importing\":[{\"slots\":\"20-29\",\"from_group\":1}]},"
                + "{\"id\":4" + replicas + ",\"slots\":\"\",\"slot_count\":0,\"migrating\":[],\"importing\":[]},"
                + "{\"id\":5" + replicas + ",\"slots\":\"\",\"slot_count\":0,\"migrating\":[],\"importing\":[]}],"
                + "\"slots_unassigned\":0,"
                + "\"pending_tasks\":[{\"id\":1,\"type\":\"MOVE_SLOTS\",\"group_id\":1,\"target_group_id\":3,"
                + "\"server_id\":0,\"step\":\"\",\"last_error\":\"\",\"abort_reason\":\"\"}]}" + nl());

        assertThat(onMeta("cluster", "status", "--output", "table").out()).isEqualTo(onMeta("cluster", "status").out())
                .contains("0-511 (512); migrating 20-29 -> group 3");
    }

    @Test
    void aCommittedMoveCannotBeCancelledAndTheMessageSaysWhatToDo() throws Exception {
        meta = TestMigrationMeta.start(1);
        assertThat(onMeta("slot", "move", "30-31", "--to", "3", "--no-wait").code()).isZero();
        String step = "";
        for (int read = 0; read < 10 && !step.equals("committed"); read++) {
            onMeta("slot", "status");
            step = meta.task(1).getStep();
        }
        assertThat(step).isEqualTo("committed");

        Result refused = onMeta("slot", "cancel", "1");
        assertThat(refused.code()).isEqualTo(4);
        assertThat(refused.err()).startsWith("kvctl: task 1 cannot be cancelled: it has committed")
                .contains("slots 30-31 belong to group 3 and the move completes by itself",
                        "'kvctl slot move 30-31 --to 1'");
        assertThat(meta.task(1).getAbortReason()).isEmpty();

        Result unknown = onMeta("slot", "cancel", "77");
        assertThat(unknown).isEqualTo(new Result(4, "", "kvctl: no task 77" + nl()));
    }

    @Test
    void aFailedMoveExitsWithItsLastErrorAndItsSlotsStay() throws Exception {
        meta = TestMigrationMeta.start(1);
        Result r = onMeta("slot", "move", "0-9", "--to", String.valueOf(TestMigrationMeta.FAILING_GROUP));
        assertThat(r.code()).isEqualTo(4);
        assertThat(r.out()).contains("  task 1 (group 1 -> 4, slots 0-9): aborting (" + TestMigrationMeta.FAILURE
                + "), step copied, 100 keys");
        assertThat(r.err()).isEqualTo("kvctl: slot move task 1 (group 1 -> 4, slots 0-9) failed at step copied: "
                + TestMigrationMeta.FAILURE + "; it was undone and its slots stay with group 1" + nl());
        assertThat(meta.ownerOf(0)).isEqualTo(1);
        assertThat(meta.task(1).getState()).isEqualTo(TaskState.FAILED);
    }

    @Test
    void aMoveThatOutlastsTheWaitGoesOnInTheBackground() throws Exception {
        meta = TestMigrationMeta.start(1);
        Result r = onMeta("slot", "move", "0-9", "--to", String.valueOf(TestMigrationMeta.STUCK_GROUP),
                "--wait-timeout", "1s");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.out()).contains("copying, step begun, 50 keys", "last error: " + TestMigrationMeta.STUCK_ERROR);
        assertThat(r.err()).isEqualTo("kvctl: the move did not finish within 1000 ms: task 1 (group 1 -> 5, slots 0-9)"
                + " at step begun, last error: " + TestMigrationMeta.STUCK_ERROR + ". The move goes on in the"
                + " background: 'kvctl slot status 1' shows it, 'kvctl slot cancel 1' stops it before it commits"
                + nl());
        assertThat(meta.task(1).getState()).isEqualTo(TaskState.PENDING);
    }

    @Test
    void refusalsFromTheMetaLeaderAndEmptyListings() throws Exception {
        meta = TestMigrationMeta.start(1);
        assertThat(onMeta("slot", "status")).isEqualTo(new Result(0, "no slot migrations" + nl(), ""));
        assertThat(onMeta("slot", "status", "--output", "json").out()).isEqualTo("{\"migrations\":[]}" + nl());
        assertThat(onMeta("slot", "status", "9")).isEqualTo(new Result(4, "", "kvctl: no slot move task 9" + nl()));
        assertThat(onMeta("slot", "move", "5", "--to", "42"))
                .isEqualTo(new Result(4, "", "kvctl: no shard group 42" + nl()));
        assertThat(onMeta("slot", "move", "600", "--to", "2"))
                .isEqualTo(new Result(4, "", "kvctl: slot 600 already belongs to group 2" + nl()));
    }

    @Test
    void badSlotsOrGroupAreUsageErrorsBeforeAnyCall() {
        // Nothing listens there: a command that called the meta-server would exit 3, not 2.
        String nowhere = "127.0.0.1:1";
        assertThat(kvctl("--meta", nowhere, "slot", "move", "0-1024", "--to", "3")).isEqualTo(new Result(2, "",
                "kvctl: invalid SLOTS: slot 1024 is outside 0..1023" + nl()
                        + "Try 'kvctl slot move --help' for usage." + nl()));
        assertThat(kvctl("--meta", nowhere, "slot", "move", "abc", "--to", "3").err())
                .startsWith("kvctl: invalid SLOTS: 'abc' is not a slot or a range of slots");
        assertThat(kvctl("--meta", nowhere, "slot", "move", "9-3", "--to", "3").err())
                .startsWith("kvctl: invalid SLOTS: '9-3' is not a range: 9 is above 3");
        assertThat(kvctl("--meta", nowhere, "slot", "move", "", "--to", "3").err())
                .startsWith("kvctl: invalid SLOTS: no slots given");
        Result zero = kvctl("--meta", nowhere, "slot", "move", "1", "--to", "0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).startsWith("kvctl: --to must be a shard group id (1 or more), got 0");
        assertThat(kvctl("--meta", nowhere, "slot", "move", "1", "--to", "x").code()).isEqualTo(2);
        Result noTarget = kvctl("--meta", nowhere, "slot", "move", "1");
        assertThat(noTarget.code()).isEqualTo(2);
        assertThat(noTarget.err()).contains("Missing required option: '--to=GROUP'");
        assertThat(kvctl("--meta", nowhere, "slot", "status", "--output", "yaml").err())
                .contains("'yaml' is not one of table, json");
        Result yaml = kvctl("--meta", nowhere, "cluster", "status", "--output", "yaml");
        assertThat(yaml.code()).isEqualTo(2);
        assertThat(yaml.out()).isEmpty();
        assertThat(yaml.err()).startsWith("kvctl: ").contains("'yaml' is not one of table, json");
        assertThat(kvctl("--meta", nowhere, "slot", "status", "x").code()).isEqualTo(2);
        assertThat(kvctl("--meta", nowhere, "slot", "cancel").code()).isEqualTo(2);
        assertThat(kvctl("--meta", nowhere, "slot", "cancel", "0").code()).isEqualTo(2);
        assertThat(kvctl("--meta", nowhere, "slot").err())
                .startsWith("kvctl: missing subcommand (move, status, cancel)");
        assertThat(kvctl("slot", "move", "--help").out()).contains("--to", "--no-wait", "--wait-timeout");
    }

    private static String nl() {
        return System.lineSeparator();
    }
}

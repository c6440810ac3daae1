package io.shardkv.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.client.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kvctl run in-process with captured output: parsing, exit codes, and the commands against test servers. */
class KvctlTest {
    private TestCluster cluster;
    // The test clusters run without TLS.
    private final Map<String, String> env = new HashMap<>(Map.of("SHARDKV_INSECURE", "true"));

    record Result(int code, String out, String err) {
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Result kvctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Kvctl.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
        return new Result(code, out.toString(), err.toString());
    }

    private Result onCluster(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--meta");
        all.add(cluster.metaEndpoints());
        return kvctl(all.toArray(new String[0]));
    }

    @Test
    void unreachableMetaServersExitWith3AndSaySo() {
        Result r = kvctl("--meta", "127.0.0.1:1,127.0.0.1:2", "--timeout", "300ms", "get", "k");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).startsWith("kvctl: cannot reach the meta-servers at 127.0.0.1:1,127.0.0.1:2: ")
                .doesNotContain("\tat ");

        Result status = kvctl("cluster", "status", "--meta", "127.0.0.1:1", "--timeout", "200ms");
        assertThat(status.code()).isEqualTo(3);
        assertThat(status.err()).startsWith("kvctl: cannot reach the meta-servers at 127.0.0.1:1: ");
    }

    @Test
    void metaEndpointsComeFromTheEnvironmentWhenNotGiven() {
        env.put("SHARDKV_META", "127.0.0.1:3");
        Result r = kvctl("--timeout", "200ms", "put", "k", "v");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).contains("cannot reach the meta-servers at 127.0.0.1:3:");
    }

    @Test
    void badUsageExitsWith2() {
        assertThat(kvctl().code()).isEqualTo(2);
        Result unknown = kvctl("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("kvctl: ");
        assertThat(kvctl("get").code()).isEqualTo(2);
        assertThat(kvctl("put", "k").code()).isEqualTo(2);
        assertThat(kvctl("get", "k", "--consistency", "eventual").err()).contains("not one of linearizable, lease, stale");
        assertThat(kvctl("get", "k", "--timeout", "soon").code()).isEqualTo(2);
        assertThat(kvctl("scan", "--limit", "x").code()).isEqualTo(2);
        assertThat(kvctl("member", "add", "--group", "1").code()).isEqualTo(2);
        assertThat(kvctl("cluster").code()).isEqualTo(2);
        Result badMeta = kvctl("--meta", "nohostport", "get", "k");
        assertThat(badMeta.code()).isEqualTo(2);
        assertThat(badMeta.err()).isEqualTo("kvctl: expected host:port, got 'nohostport'" + System.lineSeparator());
        Result bench = kvctl("bench", "--read-ratio", "1.5");
        assertThat(bench.code()).isEqualTo(2);
        assertThat(bench.err()).contains("--read-ratio must be in 0..1");
    }

    @Test
    void invalidArgumentExitsWith2BeforeContactingAnyone() {
        Result r = kvctl("--meta", "127.0.0.1:1", "put", "x".repeat(8193), "v");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("kvctl: key is 8193 bytes, over the limit of 8192 bytes" + System.lineSeparator());
        Result scan = kvctl("--meta", "127.0.0.1:1", "scan", "--start", "b", "--end", "a");
        assertThat(scan.code()).isEqualTo(2);
        assertThat(scan.err()).contains("scan end must be greater than start");
    }

    @Test
    void helpExitsWith0() {
        Result r = kvctl("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("kvctl", "put", "get", "del", "scan", "cluster", "group", "member", "slot", "bench");
        assertThat(kvctl("group", "add", "--help").out()).contains("--replicas", "--servers", "--no-wait");
    }

    @Test
    void dataCommands() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        assertThat(onCluster("put", "alpha", "one")).isEqualTo(new Result(0, "OK" + nl(), ""));
        assertThat(onCluster("put", "beta", "two").code()).isZero();
        // Global options before the subcommand work as well as after it.
        assertThat(kvctl("--meta", cluster.metaEndpoints(), "get", "alpha").out()).isEqualTo("one" + nl());
        assertThat(onCluster("get", "beta", "--consistency", "stale").out()).isEqualTo("two" + nl());

        Result missing = onCluster("get", "gamma");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("kvctl: not found: gamma" + nl());

        assertThat(onCluster("scan").out()).isEqualTo("alpha\tone" + nl() + "beta\ttwo" + nl());
        assertThat(onCluster("scan", "--start", "b").out()).isEqualTo("beta\ttwo" + nl());
        assertThat(onCluster("scan", "--limit", "1").out()).isEqualTo("alpha\tone" + nl());

        assertThat(onCluster("del", "alpha").out()).isEqualTo("deleted" + nl());
        Result absent = onCluster("del", "alpha");
        assertThat(absent.code()).isZero();
        assertThat(absent.out()).isEqualTo("absent" + nl());
    }

    @Test
    void putTakesLargeValuesFromAFile(@TempDir Path dir) throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        // Too large for an argument list ("Argument list too long"), within the value limit.
        byte[] big = new byte[3 * 1024 * 1024];
        Arrays.fill(big, (byte) 'x');
        Path file = Files.write(dir.resolve("value"), big);
        assertThat(onCluster("put", "big", "--value-file", file.toString())).isEqualTo(new Result(0, "OK" + nl(), ""));
        assertThat(onCluster("get", "big").out()).hasSize(big.length + nl().length());

        Path tooBig = Files.write(dir.resolve("too-big"), new byte[4 * 1024 * 1024 + 1]);
        Result refused = onCluster("put", "k", "--value-file", tooBig.toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("kvctl: value is 4194305 bytes, over the limit of 4194304 bytes" + nl());

        Result both = onCluster("put", "k", "v", "--value-file", file.toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).isEqualTo("kvctl: give VALUE or --value-file, not both" + nl());
        Result missingFile = onCluster("put", "k", "--value-file", dir.resolve("nope").toString());
        assertThat(missingFile.err()).startsWith("kvctl: --value-file ").endsWith(": no such file" + nl());
        assertThat(onCluster("put", "k").err()).startsWith("kvctl: missing VALUE");
    }

    @Test
    void aDashReadsTheValueFromStandardInput() throws Exception {
        byte[] bytes = {0, 1, 2, (byte) 0xFF};
        assertThat(ValueSource.read("-", null, new ByteArrayInputStream(bytes))).containsExactly(bytes);
        assertThat(ValueSource.read("text", null, new ByteArrayInputStream(bytes))).containsExactly('t', 'e', 'x', 't');
        // Standard input is read no further than one byte past the limit.
        byte[] huge = new byte[5 * 1024 * 1024];
        assertThat(ValueSource.read("-", null, new ByteArrayInputStream(huge))).hasSize(4 * 1024 * 1024 + 1);
    }

    @Test
    void adminCommands() throws Exception {
        cluster = TestCluster.start(3, 3, 3, 2);
        cluster.metas().get(0).setLeader(false);
        cluster.metas().get(1).setLeader(true);

        Result status = onCluster("cluster", "status");
        assertThat(status.code()).isZero();
        assertThat(status.out()).contains("config version 1", "servers:", "RUNNING", "0.3s ago", "shard groups:",
                "1(voter) 2(voter) 3(voter)", "0-340 (341)", "341-681 (341)", "682-1023 (342)", "pending tasks: none");

        Result add = onCluster("group", "add", "--servers", "1,2,3");
        assertThat(add.code()).isZero();
        assertThat(add.out()).contains("group 100 on servers 1,2,3", "waiting for task 1",
                "step 'creating replicas'", "last error: no leader yet", "task 1 done");

        Result noWait = onCluster("group", "add", "--no-wait");
        assertThat(noWait.code()).isZero();
        assertThat(noWait.out()).endsWith("; task 2" + nl());

        Result busy = onCluster("group", "remove", "1");
        assertThat(busy.code()).isEqualTo(4);
        assertThat(busy.err()).isEqualTo("kvctl: shard group 1 owns 341 slots; move them away first" + nl());

        assertThat(onCluster("member", "add", "--group", "1", "--server", "3").code()).isZero();
        Result failed = onCluster("member", "add", "--group", "1", "--server", "99");
        assertThat(failed.code()).isEqualTo(4);
        assertThat(failed.err()).contains("failed", "server 99 is not registered");
        Result transfer = onCluster("group", "transfer-leader", "1", "--to", "2");
        assertThat(transfer.code()).isZero();
        assertThat(transfer.out()).startsWith("moving the leadership of group 1 to server 2").contains("done");
        assertThat(onCluster("group", "transfer-leader", "1").code()).isEqualTo(2);
        assertThat(onCluster("group", "transfer-leader", "x", "--to", "2").code()).isEqualTo(2);
        Result unknown = onCluster("member", "remove", "--group", "42", "--server", "1");
        assertThat(unknown.code()).isEqualTo(4);
        assertThat(unknown.err()).isEqualTo("kvctl: no shard group 42" + nl());
    }

    @Test
    void clusterWaitReturnsWhenGroupsHaveLeadersAndSlotsAreOwned() throws Exception {
        cluster = TestCluster.start(3, 3, 3, 1);
        Result ready = onCluster("cluster", "wait", "--groups", "3", "--timeout", "10s");
        assertThat(ready.code()).as(ready.err()).isZero();
        assertThat(ready.out()).isEqualTo("ready" + nl());

        Result tooFew = onCluster("cluster", "wait", "--groups", "4", "--timeout", "600ms");
        assertThat(tooFew.code()).isEqualTo(3);
        assertThat(tooFew.out()).isEqualTo("waiting: 3/4 groups, 3 with a leader, 1024/1024 slots owned, "
                + "0 group creations or slot assignments pending" + nl());
        assertThat(tooFew.err()).startsWith("kvctl: the cluster was not ready within 600 ms: 3/4 groups");

        Result down = kvctl("--meta", "127.0.0.1:1", "cluster", "wait", "--timeout", "600ms");
        assertThat(down.code()).isEqualTo(3);
        assertThat(down.err()).contains("not ready within 600 ms: cannot reach the meta-servers at 127.0.0.1:1");
    }

    @Test
    void benchRunsAShortWorkload() throws Exception {
        cluster = TestCluster.start(3, 2, 3, 1);
        Result r = onCluster("bench", "--keys", "200", "--duration", "1s", "--warmup", "200ms", "--concurrency", "4",
                "--load", "--key-distribution", "zipfian", "--value-size", "16");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("loaded 200 keys", "ops/s", "get", "put", "p99");
        assertThat(cluster.group(1).data().size() + cluster.group(2).data().size()).isEqualTo(200);
    }

    private static String nl() {
        return System.lineSeparator();
    }
}

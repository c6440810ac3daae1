package io.shardkv.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short {@code bin/kv-chaos} run with a fixed seed, as a real process: servers in network
 * namespaces under partitions, kills, pauses, slot moves and member changes while clients run. It
 * must end with no anomaly and no lost write. It needs root and working network namespaces, and
 * skips (saying which is missing) without them. The README shows how to run long ones.
 */
class ChaosIT {
    private static final Pattern SUMMARY = Pattern.compile(
            "chaos: (\\d+) ops \\((\\d+) ok\\), (\\d+) keys, (\\d+) anomalies, (\\d+) lost writes; history (.+)");
    /** Its own network number, so that a kv-chaos run by hand (default 0) and this test do not meet. */
    private static final String NET = "41";

    @TempDir
    Path dir;

    @Test
    void aShortNemesisRunFindsNoAnomalyAndLosesNoWrite() {
        CommandResult id = Commands.exec(Duration.ofSeconds(10), Map.of(), "id", "-u");
        Assumptions.assumeTrue(id.exitCode() == 0 && id.stdout().strip().equals("0"),
                "kv-chaos needs root (network namespaces, veth pairs, iptables); running as uid " + id.stdout().strip());
        String probe = "skvc-probe-" + ProcessHandle.current().pid();
        CommandResult add = Commands.exec(Duration.ofSeconds(20), Map.of(), "ip", "netns", "add", probe);
        try {
            Assumptions.assumeTrue(add.exitCode() == 0, () -> "network namespaces are unavailable: ip netns add " + probe
                    + " failed: " + add);
            CommandResult iptables = Commands.exec(Duration.ofSeconds(20), Map.of(), "ip", "netns", "exec", probe,
                    "iptables", "-S");
            Assumptions.assumeTrue(iptables.exitCode() == 0, () -> "iptables does not work in a namespace: " + iptables);
        } finally {
            if (add.exitCode() == 0) {
                Commands.exec(Duration.ofSeconds(20), Map.of(), "ip", "netns", "del", probe);
            }
        }

        CommandResult r = Commands.run(Duration.ofMinutes(8), Map.of(), "kv-chaos",
                "--seconds", "60", "--seed", "7", "--nemesis", "partition,kill,pause,move,member",
                "--dir", dir.toString(), "--net", NET);
        System.out.println(r.stdout());
        List<String> lines = r.stdout().strip().lines().toList();
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        Matcher m = SUMMARY.matcher(last);
        assertThat(m.matches()).as("the last line of kv-chaos is its summary: %s", r).isTrue();
        assertThat(Long.parseLong(m.group(4))).as("anomalies (see %s and %s)", m.group(6),
                dir.resolve("anomalies.txt")).isZero();
        assertThat(Long.parseLong(m.group(5))).as("lost writes (see %s)", dir.resolve("anomalies.txt")).isZero();
        assertThat(Long.parseLong(m.group(2))).as("acknowledged operations").isGreaterThanOrEqualTo(300);
        assertThat(r.exitCode()).as("kv-chaos exit code: %s", r).isZero();
        assertThat(r.stdout()).contains("writes resumed after", "longest write gap:");
        CommandResult left = Commands.exec(Duration.ofSeconds(20), Map.of(), "ip", "netns", "list");
        assertThat(left.stdout()).as("namespaces left behind").doesNotContain("skvc" + NET + "-");
    }
}

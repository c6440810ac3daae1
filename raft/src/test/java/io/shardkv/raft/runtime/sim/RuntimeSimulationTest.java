package io.shardkv.raft.runtime.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-raft runtime under the deterministic simulation: {@code -Dsim.seeds=N} seeds from
 * {@code -Dsim.firstSeed} (default 1), or one seed with {@code -Dsim.seed=S} and its log printed.
 * Ends with one line, {@code runtime simulation: N seeds, V violations}, and names each failing
 * seed with the command that replays it.
 */
class RuntimeSimulationTest {

    /** The runtime logs every simulated crash as a dead thread; the seed's own log says what matters. */
    private static final java.util.logging.Logger RUNTIME_LOGS = java.util.logging.Logger.getLogger("io.shardkv");

    @org.junit.jupiter.api.BeforeAll
    static void quiet() {
        RUNTIME_LOGS.setLevel(java.util.logging.Level.OFF);
    }

    @org.junit.jupiter.api.AfterAll
    static void loud() {
        RUNTIME_LOGS.setLevel(null);
    }

    @Test
    void seedsRunWithoutViolations(@TempDir Path tempDir) throws java.io.IOException {
        Path dir = scratchDir(tempDir);
        String one = System.getProperty("sim.seed");
        if (one != null) {
            RuntimeWorld.Result r = RuntimeWorld.run(Long.parseLong(one), dir);
            System.out.println(r.tail());
            report(List.of(r));
            return;
        }
        int seeds = Integer.getInteger("sim.seeds", 1000);
        long first = Long.getLong("sim.firstSeed", 1);
        List<RuntimeWorld.Result> results = new ArrayList<>();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        for (long seed = first; seed < first + seeds; seed++) {
            results.add(RuntimeWorld.run(seed, dir));
        }
        System.out.printf("%.0f ms of CPU per seed%n", (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6 / seeds);
        report(results);
    }

    /**
     * Snapshot files are real files; on a memory file system (Linux's /dev/shm) their syncs cost
     * nothing, which keeps a thousand seeds quick. The files are deleted after each seed.
     */
    private static Path scratchDir(Path tempDir) throws java.io.IOException {
        Path shm = Path.of("/dev/shm");
        if (java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.isWritable(shm)) {
            Path dir = java.nio.file.Files.createTempDirectory(shm, "shardkv-runtime-sim-");
            dir.toFile().deleteOnExit();
            return dir;
        }
        return tempDir;
    }

    private static void report(List<RuntimeWorld.Result> results) {
        long ops = 0;
        long ok = 0;
        long faults = 0;
        List<RuntimeWorld.Result> failed = new ArrayList<>();
        for (RuntimeWorld.Result r : results) {
            ops += r.operations();
            ok += r.ok();
            faults += r.faults();
            if (!r.passed()) {
                failed.add(r);
            }
        }
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        results.forEach(r -> r.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum)));
        System.out.println("what happened: " + counts);
        for (RuntimeWorld.Result r : failed) {
            System.out.println("seed " + r.seed() + " failed (" + r.profile() + "): " + r.violations().get(0)
                    + "\n  replay: ./mvnw -B -pl raft -am test -Dtest=RuntimeSimulationTest -Dsim.seed=" + r.seed()
                    + " -Dsurefire.failIfNoSpecifiedTests=false");
        }
        System.out.printf("runtime simulation: %d seeds, %d violations (%d operations, %d answered, %d faults)%n",
                results.size(), failed.size(), ops, ok, faults);
        assertThat(failed.stream().map(RuntimeWorld.Result::seed).toList()).as("seeds with violations").isEmpty();
    }

    @Test
    void aSeedReplaysExactly(@TempDir Path tempDir) throws java.io.IOException {
        Path dir = scratchDir(tempDir);
        RuntimeWorld.Result first = RuntimeWorld.run(7, dir);
        RuntimeWorld.Result again = RuntimeWorld.run(7, dir);
        assertThat(first.operations()).isGreaterThan(100);
        assertThat(again.events()).isEqualTo(first.events());
        assertThat(again.digest()).isEqualTo(first.digest());
        assertThat(again.tail()).isEqualTo(first.tail());
    }
}

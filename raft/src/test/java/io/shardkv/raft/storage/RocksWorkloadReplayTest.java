package io.shardkv.raft.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The crash test's workload without crashes, in one process and deterministic: after every step
 * the engine must equal the in-memory models, and again after a clean close and reopen. A failure
 * here is a bug in the write or recovery path; a failure only in {@link RocksCrashRecoveryTest} is
 * about crashes.
 */
class RocksWorkloadReplayTest {
    private static final int STEPS = 300;
    private static final int REOPEN_EVERY_STEPS = 37;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void engineEqualsTheModelAfterEveryStepAndEveryReopen(long seed) {
        CrashWorkload workload = new CrashWorkload(seed);
        RocksLogEngine engine = RocksLogEngine.open(dir, RocksLogEngineConfig.defaults().withCacheBytes(4_000, 16_000));
        try {
            for (long g : CrashWorkload.GROUP_IDS) {
                engine.createGroup(g, CrashWorkload.MEMBERS);
            }
            while (workload.seq() < STEPS) {
                CrashWorkload.Step step = workload.next();
                CrashWorkload.applyTo(engine, step);
                workload.apply(step);
                assertThat(LogComparison.difference(engine, workload.model())).as("seed %d after %s", seed, step)
                        .isNull();
                if (step.seq() % REOPEN_EVERY_STEPS == 0) {
                    engine.close();
                    engine = RocksLogEngine.open(dir);
                    assertThat(LogComparison.difference(engine, workload.model()))
                            .as("seed %d after reopening at step %d", seed, step.seq()).isNull();
                }
            }
        } finally {
            engine.close();
        }
    }
}

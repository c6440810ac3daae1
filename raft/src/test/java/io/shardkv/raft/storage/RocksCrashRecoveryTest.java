package io.shardkv.raft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Crash recovery with real processes: a child JVM writes synced batches for several groups and
 * acknowledges each on stdout after the write returned; the parent kills it with SIGKILL at a
 * seeded point, reopens the engine, and checks that the logs are exactly the state after the last
 * acknowledged step, or after the one step that was in flight (a write is atomic, so nothing in
 * between is allowed). Recomputing the workload from its seed gives the expected logs: every
 * acknowledged entry, term and hard state, the truncated suffixes gone, the compaction points.
 *
 * <p>Kills are chained: each child resumes on the directory its killed predecessor left, so
 * recovery also runs on data that was itself recovered.
 *
 * <p>Run one seed with {@code -Dcrash.seed=S}; the seed of a failure is in its message.
 */
class RocksCrashRecoveryTest {
    private static final int CHAINS = 5;
    private static final int KILLS_PER_CHAIN = 5;
    private static final int MAX_ACKS_BEFORE_KILL = 120;
    private static final long FIRST_LINE_TIMEOUT_MS = 60_000;
    /** Generous: an fsync here can stall for a second or more. */
    private static final long LINE_TIMEOUT_MS = 20_000;
    private static final String EOF = "\u0000eof";

    @TempDir
    static Path libDir;

    @TempDir
    Path dir;

    /**
     * Puts the RocksDB JNI library where the children load it with {@code System.loadLibrary}. Left
     * to itself, each child would extract its own copy into /tmp and, killed with SIGKILL, never
     * delete it.
     */
    @BeforeAll
    static void extractNativeLibrary() throws IOException {
        String name = Environment.getJniLibraryFileName("rocksdb");
        try (InputStream in = RocksDB.class.getClassLoader().getResourceAsStream(name)) {
            Objects.requireNonNull(in, "no " + name + " in the rocksdbjni jar");
            Files.copy(in, libDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
        long seed = Long.getLong("crash.seed", 0x5eedL);
        Random random = new Random(seed);
        long startNanos = System.nanoTime();
        int kills = 0;
        int matchedInFlight = 0;
        long ackedSteps = 0;
        for (int chain = 0; chain < CHAINS; chain++) {
            Path engineDir = dir.resolve("chain-" + chain);
            long workloadSeed = random.nextLong();
            long durable = 0;
            for (int k = 0; k < KILLS_PER_CHAIN; k++) {
                int acksBeforeKill = 1 + random.nextInt(MAX_ACKS_BEFORE_KILL);
                String where = "seed " + seed + ", chain " + chain + " (workload seed " + workloadSeed + "), kill " + k;
                long lastAcked = runAndKill(engineDir, workloadSeed, durable, acksBeforeKill, where);
                assertThat(lastAcked).as(where).isGreaterThanOrEqualTo(durable + acksBeforeKill);
                long matched = checkRecovered(engineDir, workloadSeed, lastAcked, where);
                matchedInFlight += matched > lastAcked ? 1 : 0;
                ackedSteps += lastAcked - durable;
                durable = matched;
                kills++;
            }
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        System.out.printf("crash recovery: %d SIGKILLs, %d acknowledged steps checked, %d recoveries included the"
                + " in-flight step, %d ms (seed %d)%n", kills, ackedSteps, matchedInFlight, elapsedMs, seed);
    }

    /**
     * Runs a child until it has acknowledged {@code acksBeforeKill} steps, kills it, and returns the
     * last step it acknowledged (it may have gone on a little before the kill landed).
     */
    private static long runAndKill(Path engineDir, long workloadSeed, long resumeAfter, int acksBeforeKill,
                                   String where) throws Exception {
        Path stderr = engineDir.resolveSibling(engineDir.getFileName() + ".stderr");
        Files.createDirectories(engineDir);
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.library.path=" + libDir,
                "-cp", System.getProperty("java.class.path"),
                RocksCrashWriterMain.class.getName(),
                engineDir.toString(), Long.toString(workloadSeed), Long.toString(resumeAfter), "1000000")
                .redirectError(stderr.toFile())
                .start();
        BlockingQueue<String> lines = readLinesInBackground(child.getInputStream());
        long lastAcked = resumeAfter;
        try {
            expectLine(lines, FIRST_LINE_TIMEOUT_MS, "ready", stderr, where);
            for (int i = 0; i < acksBeforeKill; i++) {
                lastAcked = parseAck(expectLine(lines, LINE_TIMEOUT_MS, "acked ", stderr, where), lastAcked, where);
            }
        } finally {
            // SIGKILL through the process handle: Process.destroyForcibly() sends the same signal
            // but then closes our end of the child's stdout, discarding acknowledgements that are
            // still in the pipe, and the check below needs every one of them.
            child.toHandle().destroyForcibly();
            if (!child.waitFor(LINE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                fail("child did not die within " + LINE_TIMEOUT_MS + " ms of SIGKILL at " + where);
            }
        }
        // Acknowledgements printed before the kill landed still count: drain them. A last line cut
        // short by the kill is no acknowledgement.
        for (String line = lines.poll(LINE_TIMEOUT_MS, TimeUnit.MILLISECONDS); !EOF.equals(line);
             line = lines.poll(LINE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            if (line == null) {
                fail("child's stdout did not close after it died, at " + where);
            }
            if (isCompleteAck(line)) {
                lastAcked = parseAck(line, lastAcked, where);
            }
        }
        return lastAcked;
    }

    /**
     * Reopens the engine and checks it holds the workload's state after {@code lastAcked} steps or
     * after {@code lastAcked + 1}; returns which.
     */
    private static long checkRecovered(Path engineDir, long workloadSeed, long lastAcked, String where) {
        CrashWorkload expected = new CrashWorkload(workloadSeed);
        expected.advanceTo(lastAcked);
        try (RocksLogEngine engine = RocksLogEngine.open(engineDir)) {
            String atAck = LogComparison.difference(engine, expected.model());
            if (atAck == null) {
                return lastAcked;
            }
            expected.advanceTo(lastAcked + 1);
            String inFlight = LogComparison.difference(engine, expected.model());
            if (inFlight == null) {
                return lastAcked + 1;
            }
            throw new AssertionError("recovered logs match neither the last acknowledged step " + lastAcked
                    + " (" + atAck + ") nor the next one (" + inFlight + "), at " + where);
        }
    }

    private static BlockingQueue<String> readLinesInBackground(InputStream stdout) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stdout, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The pipe broke with the child's death; what was read is all there is.
            } finally {
                lines.add(EOF);
            }
        }, "crash-child-stdout");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static String expectLine(BlockingQueue<String> lines, long timeoutMs, String prefix, Path stderr,
                                     String where) throws Exception {
        String line = lines.poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (line == null || EOF.equals(line) || !line.startsWith(prefix)) {
            fail("expected a line starting with '" + prefix + "' from the child within " + timeoutMs + " ms, got "
                    + (line == null ? "nothing" : EOF.equals(line) ? "end of output" : "'" + line + "'") + " at "
                    + where + "; child stderr:\n" + tail(stderr));
        }
        return line;
    }

    private static boolean isCompleteAck(String line) {
        String[] parts = line.split(" ");
        return parts.length == 2 + CrashWorkload.GROUP_IDS.length && parts[0].equals("acked")
                && parts[parts.length - 1].split(":").length == 5;
    }

    /** Parses {@code acked <step> ...}; steps must follow each other without a gap. */
    private static long parseAck(String line, long previous, String where) {
        if (!isCompleteAck(line)) {
            fail("malformed acknowledgement '" + line + "' at " + where);
        }
        long step = Long.parseLong(line.split(" ")[1]);
        assertThat(step).as("acknowledged step after %d at %s", previous, where).isEqualTo(previous + 1);
        return step;
    }

    private static String tail(Path file) {
        try {
            List<String> all = Files.exists(file) ? Files.readAllLines(file) : List.of();
            return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - 30), all.size())));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}

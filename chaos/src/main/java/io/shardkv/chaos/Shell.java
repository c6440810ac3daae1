package io.shardkv.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the short system commands the driver needs ({@code ip}, {@code iptables-restore}, {@code kill}), each with a deadline. */
final class Shell {
    /** Long enough for {@code ip netns del} on a busy machine; every command here normally takes milliseconds. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** What a finished command printed, and its exit code. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Shell() {
    }

    /** Runs {@code command}; throws {@link ChaosException} with its output unless it exits 0. */
    static String run(String... command) {
        return runWithInput(null, command);
    }

    /** Runs {@code command} with {@code stdin} as its input; throws unless it exits 0. */
    static String runWithInput(String stdin, String... command) {
        Result r = tryRun(stdin, command);
        if (!r.ok()) {
            throw new ChaosException(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.output().strip());
        }
        return r.output();
    }

    /** Runs {@code command} and returns how it ended, whatever its exit code. */
    static Result tryRun(String stdin, String... command) {
        ProcessBuilder pb = new ProcessBuilder(List.of(command)).redirectErrorStream(true);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ChaosException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The command may exit before reading all of its input; its exit code says what happened.
        }
        try {
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new ChaosException(String.join(" ", command) + " did not finish in " + TIMEOUT.toSeconds() + " s");
            }
            return new Result(process.exitValue(), output.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ChaosException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }
}

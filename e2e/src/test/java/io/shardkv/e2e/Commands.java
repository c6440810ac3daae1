package io.shardkv.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the repository's bin/ scripts as real processes, the way a user does. */
final class Commands {
    /** The repository root: the tests run with the e2e module as working directory. */
    static final Path ROOT = findRoot();

    private Commands() {
    }

    private static Path findRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("bin/kv-cluster"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no bin/kv-cluster above " + System.getProperty("user.dir"));
        }
        return p;
    }

    /**
     * Runs {@code bin/<script> args...} and waits for it. The build has already packaged the
     * jars, so the scripts must never start a nested build (SHARDKV_NO_BUILD).
     */
    static CommandResult run(Duration timeout, Map<String, String> env, String script, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin").resolve(script).toString());
        command.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(env);
        all.put("SHARDKV_NO_BUILD", "1");
        return exec(timeout, all, command.toArray(String[]::new));
    }

    /** Runs any command in the repository root and waits for it; {@code env} adds to the environment. */
    static CommandResult exec(Duration timeout, Map<String, String> env, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
        pb.environment().remove("SHARDKV_META");
        pb.environment().putAll(env);
        try {
            Process process = pb.start();
            process.getOutputStream().close();
            CompletableFuture<String> out = drain(process.getInputStream());
            CompletableFuture<String> err = drain(process.getErrorStream());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout
                        + "\nstdout so far:\n" + out.getNow("") + "\nstderr:\n" + err.getNow(""));
            }
            return new CommandResult(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        // Read on another thread so a chatty process never blocks on a full pipe.
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}

package io.shardkv.chaos;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One meta-server or kv-server JVM, run in its node's namespace with {@code ip netns exec} (which
 * execs, so the process's pid is the JVM's), its output appended to {@code DIR/NAME/server.log}.
 * Restarts reuse the same command line and data directory. Not thread-safe: the nemesis thread
 * and the run's own steps, which never overlap, are its only callers.
 */
final class ServerProcess {
    private final Node node;
    private final List<String> command;
    private final Path dir;
    private Process process;
    private boolean paused;

    ServerProcess(Node node, List<String> javaCommand, Path dir) {
        this.node = node;
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", node.namespace()));
        all.addAll(javaCommand);
        this.command = List.copyOf(all);
        this.dir = dir;
    }

    Node node() {
        return node;
    }

    String name() {
        return node.name();
    }

    Path log() {
        return dir.resolve("server.log");
    }

    void start() {
        if (isAlive()) {
            throw new IllegalStateException(name() + " is already running as pid " + process.pid());
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("cmd"), String.join(" ", command) + "\n");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            // The servers read SHARDKV_* settings from the environment; the flags set here are the
            // cluster's shape and must not be overridden by what the caller happens to export.
            pb.environment().remove("SHARDKV_META");
            process = pb.start();
            paused = false;
            Files.writeString(dir.resolve("pid"), process.pid() + "\n");
        } catch (IOException e) {
            throw new ChaosException("cannot start " + name() + ": " + e.getMessage(), e);
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    boolean isPaused() {
        return paused && isAlive();
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    /** kill -9, and waits until the process is gone (a killed JVM exits in milliseconds). */
    void kill() {
        if (!isAlive()) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new ChaosException(name() + " (pid " + process.pid() + ") still runs 10 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChaosException("interrupted while killing " + name(), e);
        }
        paused = false;
    }

    /** SIGSTOP: frozen with its sockets open, as in a long GC pause or a hung VM. */
    void pause() {
        signal("STOP");
        paused = true;
    }

    /** SIGCONT. */
    void resume() {
        signal("CONT");
        paused = false;
    }

    private void signal(String name) {
        if (!isAlive()) {
            throw new IllegalStateException(name() + " is not running; cannot send SIG" + name);
        }
        Shell.run("kill", "-" + name, Long.toString(process.pid()));
    }

    /** The last {@code lines} lines of its log, for error messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log());
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log() + ": " + e.getMessage() + ")";
        }
    }
}

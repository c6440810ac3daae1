package io.shardkv.bench.peers;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Everything the benchmark started, closed in reverse order exactly once: at the end of the run,
 * on an error, or from the JVM's shutdown hook on Ctrl-C or SIGTERM. Servers left running would
 * hold ports and disk and skew the next run.
 */
final class Closer implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private boolean closed;

    /** Registers {@code resource} and returns it; if already closed, closes it at once. */
    synchronized <T extends AutoCloseable> T register(T resource) {
        if (closed) {
            closeQuietly(resource);
            throw new IllegalStateException("the benchmark is shutting down");
        }
        resources.push(resource);
        return resource;
    }

    /** Closes {@code resource} now and forgets it. */
    synchronized void closeNow(AutoCloseable resource) {
        if (resources.remove(resource)) {
            closeQuietly(resource);
        }
    }

    /**
     * Stops this JVM's child processes first (etcd members, a {@code kv-cluster up} still running),
     * so that nothing starts while the rest is cleaned up, then closes the resources.
     */
    @Override
    public synchronized void close() {
        closed = true;
        ProcessHandle.current().children().forEach(ProcessHandle::destroy);
        while (!resources.isEmpty()) {
            closeQuietly(resources.pop());
        }
    }

    /** Reports a failure and goes on, so that one stuck resource does not leave the others running. */
    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            System.err.println("bench-peers: while cleaning up " + resource + ": " + e);
        }
    }
}

package io.shardkv.raft.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The {@link RuntimeScheduler} of a real server: a daemon thread per poller, a fixed apply pool,
 * a small bounded snapshot pool and a timer, on the JVM's monotonic clock.
 */
public final class ThreadScheduler implements RuntimeScheduler {
    private static final System.Logger LOG = System.getLogger(ThreadScheduler.class.getName());
    /** One image written at a time: snapshots are rare, and disk bandwidth is what they compete for. */
    private static final int SNAPSHOT_BUILD_THREADS = 1;
    private static final int SNAPSHOT_BUILDS_QUEUED = 256;
    /** How long a poller waits for work before it checks whether it should stop. */
    private static final long POLLER_WAIT_MILLIS = 100;

    private final long serverId;
    private final LongSupplier nanoClock;
    private final ExecutorService applyPool;
    private final ThreadPoolExecutor snapshotPool;
    private final ScheduledExecutorService timer;
    private final List<Thread> pollers = new ArrayList<>();
    private volatile boolean closed;

    public ThreadScheduler(long serverId, int applyThreads) {
        this(serverId, applyThreads, System::nanoTime);
    }

    /** @param nanoClock the monotonic clock (tests shift it to make a server's time jump) */
    public ThreadScheduler(long serverId, int applyThreads, LongSupplier nanoClock) {
        this.serverId = serverId;
        this.nanoClock = nanoClock;
        this.applyPool = Executors.newFixedThreadPool(applyThreads, daemons("raft-apply-worker-" + serverId));
        this.snapshotPool = new ThreadPoolExecutor(SNAPSHOT_BUILD_THREADS, SNAPSHOT_BUILD_THREADS, 0,
                TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(SNAPSHOT_BUILDS_QUEUED),
                daemons("raft-snapshot-builder-" + serverId));
        // Two threads: a slow chore (deleting an idle snapshot's files) never delays the tick.
        this.timer = Executors.newScheduledThreadPool(2, daemons("raft-timer-" + serverId));
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger ids = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    @Override
    public long nextSeed() {
        return ThreadLocalRandom.current().nextLong();
    }

    @Override
    public Executor applyExecutor() {
        return applyPool;
    }

    @Override
    public Executor snapshotExecutor() {
        return snapshotPool;
    }

    @Override
    public synchronized void startPoller(String name, PollerCycle cycle) {
        if (closed) {
            throw new IllegalStateException("scheduler of server " + serverId + " is closed");
        }
        Thread t = new Thread(() -> {
            while (!closed) {
                try {
                    cycle.runOnce(POLLER_WAIT_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, name);
        t.setDaemon(true);
        pollers.add(t);
        t.start();
    }

    @Override
    public void every(String name, long periodMillis, Runnable task) {
        // A task that threw would never run again: a failed round is logged and the next one runs.
        timer.scheduleAtFixedRate(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "server " + serverId + ": " + name + " failed", e);
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        List<Thread> started;
        synchronized (this) {
            closed = true;
            started = new ArrayList<>(pollers);
        }
        timer.shutdownNow();
        for (Thread t : started) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        applyPool.shutdownNow();
        snapshotPool.shutdownNow();
    }
}

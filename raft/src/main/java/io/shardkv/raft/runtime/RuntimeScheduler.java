package io.shardkv.raft.runtime;

import java.util.concurrent.Executor;

/**
 * What one server's runtime runs on: its threads, its clock and the seeds of its groups' election
 * timers. On a server these are real threads ({@link ThreadScheduler}); in the runtime simulation
 * one thread runs every poller cycle, apply and timer task in a seeded order on simulated time,
 * so that a failing interleaving replays exactly.
 *
 * <p>The runtime gives the scheduler only small, non-blocking tasks. A poller cycle, an apply
 * task and a snapshot build never wait for one another.
 */
public interface RuntimeScheduler {

    /** A monotonic clock in nanoseconds; Raft time is counted on it (see {@link TickClock}). */
    long nanoTime();

    /** The seed of one group's randomized election timeouts. */
    long nextSeed();

    /** Runs apply tasks; different groups' tasks may run in parallel. */
    Executor applyExecutor();

    /**
     * Runs snapshot builds. May refuse a task with {@link
     * java.util.concurrent.RejectedExecutionException} when too many wait; the group asks again.
     */
    Executor snapshotExecutor();

    /** One poller's cycle: handles the groups that have work, waiting up to {@code waitMillis} for some. */
    interface PollerCycle {
        /** Returns whether there was work. */
        boolean runOnce(long waitMillis) throws InterruptedException;
    }

    /** Starts running {@code cycle} until {@link #close()}. */
    void startPoller(String name, PollerCycle cycle);

    /** Runs {@code task} every {@code periodMillis}, the first time one period from now, until closed. */
    void every(String name, long periodMillis, Runnable task);

    /** Told each time a group is queued for the pollers: a scheduler whose pollers do not block may wake one. */
    default void workQueued() {
    }

    /** Stops every thread and task; returns once the pollers have stopped (or a few seconds passed). */
    void close();
}

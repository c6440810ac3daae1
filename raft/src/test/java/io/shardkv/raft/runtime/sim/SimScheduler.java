package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.runtime.RuntimeScheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * The {@link RuntimeScheduler} of a simulated server: every poller cycle, apply task, snapshot
 * build and timer round is an event of its {@link SimProcess}, at a seeded small delay, so the
 * order in which a server's "threads" interleave is drawn from the seed. Time is the
 * simulation's, shifted per server: servers' monotonic clocks need not agree.
 */
final class SimScheduler implements RuntimeScheduler {
    /** Snapshot builds waiting at most; more are refused, as a full pool refuses them. */
    private static final int MAX_QUEUED_BUILDS = 2;

    private final SimProcess process;
    private final LongSupplier clock;
    private final Random random;
    private final RuntimeProfile.Delays delays;
    private final List<PollerCycle> pollers = new ArrayList<>();
    private boolean pollPending;
    private int queuedBuilds;
    private boolean closed;

    SimScheduler(SimProcess process, LongSupplier clock, Random random, RuntimeProfile.Delays delays) {
        this.process = process;
        this.clock = clock;
        this.random = random;
        this.delays = delays;
    }

    @Override
    public long nanoTime() {
        return clock.getAsLong();
    }

    @Override
    public long nextSeed() {
        return random.nextLong();
    }

    @Override
    public Executor applyExecutor() {
        return task -> {
            if (!closed) {
                process.run(delays.apply(random), "apply", task);
            }
        };
    }

    @Override
    public Executor snapshotExecutor() {
        return task -> {
            if (closed || queuedBuilds >= MAX_QUEUED_BUILDS) {
                throw new RejectedExecutionException("simulated snapshot pool is full");
            }
            queuedBuilds++;
            process.run(delays.snapshotBuild(random), "snapshot build", () -> {
                queuedBuilds--;
                task.run();
            });
        };
    }

    @Override
    public void startPoller(String name, PollerCycle cycle) {
        pollers.add(cycle);
        workQueued();
    }

    @Override
    public void workQueued() {
        if (!pollPending && !closed && !pollers.isEmpty()) {
            pollPending = true;
            process.run(delays.poll(random), "poller cycle", this::runPoller);
        }
    }

    /** One cycle of a poller drawn at random; another follows while there was work. */
    private void runPoller() {
        pollPending = false;
        if (closed) {
            return;
        }
        boolean worked;
        try {
            worked = pollers.get(random.nextInt(pollers.size())).runOnce(0);
        } catch (InterruptedException e) {
            throw new IllegalStateException("a simulated poller never waits", e);
        }
        if (worked) {
            workQueued();
        }
    }

    @Override
    public void every(String name, long periodMillis, Runnable task) {
        long period = periodMillis * 1_000_000L;
        process.run(period, name, new Runnable() {
            @Override
            public void run() {
                if (closed) {
                    return;
                }
                task.run();
                process.run(period, name, this);
            }
        });
    }

    @Override
    public void close() {
        closed = true;
    }
}

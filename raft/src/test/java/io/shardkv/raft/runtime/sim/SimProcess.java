package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.sim.SimEventQueue;
import java.util.ArrayList;
import java.util.List;

/**
 * One life of a simulated server process, from start to crash. Everything the process does runs
 * as an event through {@link #run}: once the process is dead its events do nothing, and while
 * it is paused (SIGSTOP) they wait and run when it resumes, as the kernel would hold them.
 */
final class SimProcess {
    private final SimEventQueue queue;
    final long serverId;
    private final Runnable afterEvent;
    private boolean alive = true;
    private boolean paused;
    private final List<Runnable> held = new ArrayList<>();

    /** @param afterEvent runs after each event of this process (the simulation's invariant checks) */
    SimProcess(SimEventQueue queue, long serverId, Runnable afterEvent) {
        this.queue = queue;
        this.serverId = serverId;
        this.afterEvent = afterEvent;
    }

    boolean isAlive() {
        return alive;
    }

    boolean isPaused() {
        return paused;
    }

    /** Runs {@code action} on this process {@code delayNanos} from now (or when it resumes). */
    void run(long delayNanos, String kind, Runnable action) {
        queue.after(delayNanos, kind, serverId, () -> runNow(action));
    }

    private void runNow(Runnable action) {
        if (!alive) {
            return;
        }
        if (paused) {
            held.add(action);
            return;
        }
        try {
            action.run();
        } catch (SimulatedCrash crash) {
            // The crash point already killed the process; the rest of the event died with it.
        }
        if (alive) {
            afterEvent.run();
        }
    }

    void pause() {
        paused = true;
    }

    /** Resumes; what waited runs in order, a little apart. */
    void resume() {
        paused = false;
        List<Runnable> waiting = new ArrayList<>(held);
        held.clear();
        long delay = 0;
        for (Runnable r : waiting) {
            delay += 1_000;
            run(delay, "resumed", r);
        }
    }

    void kill() {
        alive = false;
        held.clear();
    }
}

package io.shardkv.meta.service;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.state.MapListener;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Long-poll watchers of the map. A watcher is a future, not a thread: the apply path completes
 * the ones waiting for an older version, and one shared timer completes the rest when their
 * wait ends. At most {@code maxWaiters} wait at once; beyond that a watcher is answered at once
 * with the current map and simply polls again.
 */
public final class MapWatchers implements MapListener {
    private record Waiter(long knownVersion, CompletableFuture<ClusterMap> answer) {
    }

    private final Supplier<ClusterMap> current;
    private final ScheduledExecutorService timer;
    private final int maxWaiters;
    /** Guarded by this. */
    private final List<Waiter> waiters = new ArrayList<>();

    public MapWatchers(Supplier<ClusterMap> current, ScheduledExecutorService timer, int maxWaiters) {
        this.current = current;
        this.timer = timer;
        this.maxWaiters = maxWaiters;
    }

    /** Completes with a map newer than {@code knownVersion}, or with the current map after {@code waitMillis}. */
    public CompletableFuture<ClusterMap> awaitNewerThan(long knownVersion, long waitMillis) {
        CompletableFuture<ClusterMap> answer = new CompletableFuture<>();
        Waiter w = new Waiter(knownVersion, answer);
        synchronized (this) {
            if (waiters.size() >= maxWaiters) {
                answer.complete(current.get());
                return answer;
            }
            waiters.add(w);
        }
        // A map applied between the caller's check and the registration above must not be missed.
        ClusterMap now = current.get();
        if (now.getConfigVersion() > knownVersion) {
            remove(w);
            answer.complete(now);
            return answer;
        }
        timer.schedule(() -> {
            remove(w);
            answer.complete(current.get());
        }, waitMillis, TimeUnit.MILLISECONDS);
        return answer;
    }

    private synchronized void remove(Waiter w) {
        waiters.remove(w);
    }

    public synchronized int waiting() {
        return waiters.size();
    }

    @Override
    public void onMapApplied(ClusterMap map) {
        List<Waiter> ready = new ArrayList<>();
        synchronized (this) {
            Iterator<Waiter> it = waiters.iterator();
            while (it.hasNext()) {
                Waiter w = it.next();
                if (w.knownVersion < map.getConfigVersion()) {
                    it.remove();
                    ready.add(w);
                }
            }
        }
        // Completing runs the gRPC answer; do it outside the lock.
        ready.forEach(w -> w.answer.complete(map));
    }

    /** Answers every waiter with the current map (at shutdown). */
    public void releaseAll() {
        List<Waiter> all;
        synchronized (this) {
            all = new ArrayList<>(waiters);
            waiters.clear();
        }
        ClusterMap now = current.get();
        all.forEach(w -> w.answer.complete(now));
    }
}

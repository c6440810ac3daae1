package io.shardkv.raft.runtime;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that makes time pass for every group on the server: each tick it offers a
 * Tick to every group that is neither quiesced nor failed, which makes a poller run the ticks
 * the {@link TickClock} says are due. Quiesced groups cost nothing here beyond one flag check.
 */
final class TickTimer implements AutoCloseable {
    private final ScheduledExecutorService timer;

    TickTimer(Router router, long tickMillis, long serverId) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raft-tick-timer-" + serverId);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            for (GroupPeer peer : router.peers()) {
                if (!peer.isQuiesced() && !peer.isFailed()) {
                    // A full mailbox means the group is already scheduled: its poller will run the
                    // ticks that are due all the same.
                    router.deliver(peer, PeerInput.Tick.INSTANCE);
                }
            }
        }, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

package io.shardkv.raft.runtime;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that makes time pass for every group on the server: each tick it offers a
 * Tick to every group that is neither quiesced nor failed. Quiesced groups cost nothing here
 * beyond one flag check.
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
                    // A full mailbox means the group is already busy; skipping one tick is harmless.
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

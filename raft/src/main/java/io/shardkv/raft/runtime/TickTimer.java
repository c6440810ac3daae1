package io.shardkv.raft.runtime;

/**
 * What makes time pass for every group on the server, run once a tick by the {@link
 * RuntimeScheduler}: it offers a Tick to every group that is neither quiesced nor failed, which
 * makes a poller run the ticks the {@link TickClock} says are due. Quiesced groups cost nothing
 * here beyond one flag check.
 */
final class TickTimer implements Runnable {
    private final Router router;

    TickTimer(Router router) {
        this.router = router;
    }

    @Override
    public void run() {
        for (GroupPeer peer : router.peers()) {
            if (!peer.isQuiesced() && !peer.isFailed()) {
                // A full mailbox means the group is already scheduled: its poller will run the
                // ticks that are due all the same.
                router.deliver(peer, PeerInput.Tick.INSTANCE);
            }
        }
    }
}

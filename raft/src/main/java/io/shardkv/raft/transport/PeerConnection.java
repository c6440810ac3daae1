package io.shardkv.raft.transport;

import io.grpc.Status;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything this server holds for one peer: the bounded outbound queue, the stream frames go
 * out on (whichever side dialed it), and the peer's reachability for status pages. The
 * {@link BatchSender} drains the queue onto the stream; at most one flush per peer runs at a
 * time, on whichever thread asked first, which keeps frames to a destination in order.
 */
final class PeerConnection {
    private final long peerServer;
    private final boolean dialer;
    private final OutboundQueue queue;
    private final BatchSender sender;
    private final TransportMetrics metrics;
    /** Set while a flush of this peer is running, or queued on the sender pool. */
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();
    /** Set when the liveness monitor wants a ping written; taken by the next flush. */
    private final AtomicBoolean pingWanted = new AtomicBoolean();
    // System.nanoTime() of the last frame received from the peer and written to it.
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile long lastSentNanos = lastHeardNanos;

    // Written under this, read without it by the sender.
    private volatile FrameStream stream;
    // Guarded by this.
    private boolean reachable;
    private Instant since = Instant.now();
    private int reconnectAttempts;

    PeerConnection(long localServer, long peerServer, OutboundQueue queue, BatchSender sender,
                   TransportMetrics metrics) {
        this.peerServer = peerServer;
        this.dialer = localServer < peerServer;
        this.queue = queue;
        this.sender = sender;
        this.metrics = metrics;
    }

    long peerServer() {
        return peerServer;
    }

    OutboundQueue queue() {
        return queue;
    }

    /** The greeted stream frames go out on, or null while there is none. */
    FrameStream stream() {
        return stream;
    }

    /** Queues messages without blocking, dropping the oldest beyond the bound. */
    void enqueue(List<GroupMessage> messages) {
        drop(TransportMetrics.DropReason.QUEUE_FULL, queue.offerAll(messages));
        if (stream != null) {
            requestFlush();
        }
    }

    void drop(TransportMetrics.DropReason reason, int messages) {
        if (messages > 0) {
            dropped.addAndGet(messages);
            metrics.dropped(reason, messages);
        }
    }

    /** A frame arrived from the peer (any frame: pings, heartbeats and data all show it is alive). */
    void heard(long nowNanos) {
        lastHeardNanos = nowNanos;
    }

    /** A frame went out to the peer. */
    void sent(long nowNanos) {
        lastSentNanos = nowNanos;
    }

    long lastHeardNanos() {
        return lastHeardNanos;
    }

    long lastSentNanos() {
        return lastSentNanos;
    }

    /** Asks for an empty frame to be written, so the peer hears from this side. */
    void requestPing() {
        pingWanted.set(true);
        requestFlush();
    }

    /** Whether a ping was asked for since the last call; clears the request. */
    boolean takePingRequest() {
        return pingWanted.getAndSet(false);
    }

    /**
     * Flushes this peer on the calling thread, unless a flush is already under way: that one
     * sees what was just queued before it ends ({@link #flushAgain}).
     */
    void requestFlush() {
        if (flushScheduled.compareAndSet(false, true)) {
            sender.flushInline(this);
        }
    }

    /**
     * Called by the flushing thread after a frame: ends the flush, unless more is queued and
     * the stream takes it, in which case the caller keeps the flush and writes again. Checking
     * after the release closes the gap where a message queued during the flush lost the race.
     */
    boolean flushAgain() {
        flushScheduled.set(false);
        FrameStream s = stream;
        return !queue.isEmpty() && s != null && s.isReady() && flushScheduled.compareAndSet(false, true);
    }

    /** Ends a flush that stops without writing again (the sender closed, or a write died). */
    void flushDone() {
        flushScheduled.set(false);
    }

    /**
     * A stream to the peer was greeted: frames now go on it. A stream it replaces (the peer
     * redialed before this side saw the old one fail) is ended.
     */
    void attach(FrameStream s) {
        FrameStream old;
        // A greeting is a frame: the new stream starts with a fresh silence clock.
        heard(System.nanoTime());
        synchronized (this) {
            old = stream;
            stream = s;
            if (!reachable) {
                reachable = true;
                since = Instant.now();
            }
            reconnectAttempts = 0;
        }
        if (old != null) {
            old.fail(Status.ABORTED.withDescription("replaced by a newer stream from the same peer")
                    .asRuntimeException());
        }
        requestFlush();
    }

    /**
     * Forgets {@code s} if it is the current stream and drops what was queued for it: after
     * the runtime hears the peer is unreachable its leaders resend from what they know, so
     * stale messages would only waste the new stream.
     *
     * @return true if {@code s} was the current stream (the peer just became unreachable)
     */
    boolean detach(FrameStream s) {
        synchronized (this) {
            if (stream != s || s == null) {
                return false;
            }
            stream = null;
            reachable = false;
            since = Instant.now();
        }
        drop(TransportMetrics.DropReason.DISCONNECTED, queue.clear());
        return true;
    }

    /** A dial failed before the stream was greeted. */
    synchronized void dialFailed() {
        reconnectAttempts++;
        if (reachable) {
            reachable = false;
            since = Instant.now();
        }
    }

    synchronized boolean isReachable() {
        return reachable;
    }

    /** Ends the current stream, if any, for the given reason. */
    void closeStream(Status why) {
        FrameStream s = stream;
        if (s != null) {
            s.fail(why.asRuntimeException());
        }
    }

    synchronized PeerStatus status(Optional<PeerAddress> address) {
        return new PeerStatus(peerServer, address, dialer, reachable, since, reconnectAttempts, queue.size(),
                dropped.get());
    }
}

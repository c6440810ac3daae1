package io.shardkv.raft.transport;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes the frames of all peers. A flush takes everything queued for one peer (up to a byte
 * budget), merges it into ONE {@code RaftMessageBatch} and writes it on the peer's stream.
 *
 * <p>The thread that requests a flush runs it, if no flush of that peer is under way: a poller
 * that queued a cycle's messages writes their frame itself. A write only encodes and hands the
 * frame to gRPC, which never blocks, and on a small machine a hand-off to another thread costs
 * more than the write (a wake-up per frame, with the frame's latency on top). A thread that
 * finds more queued after its flush writes again, and after {@link #MAX_INLINE_FRAMES} frames
 * hands the peer to the sender pool, so that no caller is kept writing for others.
 *
 * <p>A flush writes only while the stream is ready (gRPC's flow control says the peer keeps
 * up); otherwise messages wait in the peer's bounded queue and the stream's ready callback
 * requests the next flush. So nothing piles up unbounded in gRPC's buffers.
 */
final class BatchSender implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BatchSender.class.getName());

    private final BatchCodec codec;
    private final long maxBatchBytes;
    private final TransportMetrics metrics;
    /** Frames one caller writes in a row before the pool takes over. */
    static final int MAX_INLINE_FRAMES = 4;

    /**
     * Runs the flushes callers hand over. Its queue holds at most one flush per peer
     * (PeerConnection.flushScheduled), so it is bounded by the number of peers.
     */
    private final ExecutorService pool;

    BatchSender(long localServer, int threads, BatchCodec codec, long maxBatchBytes, TransportMetrics metrics) {
        this.codec = codec;
        this.maxBatchBytes = maxBatchBytes;
        this.metrics = metrics;
        AtomicInteger ids = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "raft-batch-sender-" + localServer + "-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Flushes {@code peer} on the calling thread; called only by the thread that won the peer's
     * flush (PeerConnection.requestFlush), which this releases or hands to the pool.
     */
    void flushInline(PeerConnection peer) {
        flush(peer, MAX_INLINE_FRAMES);
    }

    private void flush(PeerConnection peer, int maxFrames) {
        int frames = 0;
        do {
            if (frames++ == maxFrames) {
                try {
                    pool.execute(() -> flush(peer, Integer.MAX_VALUE));
                    return;
                } catch (RejectedExecutionException e) {
                    // Only after close(): the transport is going away with everything it queued.
                    LOG.log(System.Logger.Level.DEBUG, "sender closed; not flushing server " + peer.peerServer(), e);
                    peer.flushDone();
                    return;
                }
            }
            try {
                writeOneFrame(peer);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "flushing to server " + peer.peerServer() + " failed", e);
            } catch (Error e) {
                peer.flushDone();
                throw e;
            }
        } while (peer.flushAgain());
    }

    private void writeOneFrame(PeerConnection peer) {
        FrameStream stream = peer.stream();
        if (stream == null || !stream.isReady()) {
            return;
        }
        List<GroupMessage> pending = peer.queue().drain(maxBatchBytes);
        boolean ping = peer.takePingRequest();
        if (pending.isEmpty()) {
            if (ping) {
                writePing(peer, stream);
            }
            return;
        }
        BatchCodec.Encoded frame = codec.encode(peer.peerServer(), pending);
        if (frame.droppedTooLarge() > 0) {
            peer.drop(TransportMetrics.DropReason.TOO_LARGE, frame.droppedTooLarge());
            LOG.log(System.Logger.Level.WARNING, "dropped " + frame.droppedTooLarge() + " message(s) to server "
                    + peer.peerServer() + " larger than a frame may be");
        }
        if (frame.messages() == 0) {
            return;
        }
        try {
            stream.write(frame.batch());
        } catch (RuntimeException e) {
            // The stream ended between the ready check and the write; its failure handler
            // reports the peer and redials, and the frame is lost like any message to a dead peer.
            peer.drop(TransportMetrics.DropReason.DISCONNECTED, frame.messages());
            stream.fail(e);
            return;
        }
        peer.sent(System.nanoTime());
        metrics.batchSent(frame, frame.batch().getSerializedSize());
    }

    /** An empty frame: it carries nothing but the news that this server is alive. */
    private void writePing(PeerConnection peer, FrameStream stream) {
        try {
            stream.write(codec.ping(peer.peerServer()));
        } catch (RuntimeException e) {
            stream.fail(e);
            return;
        }
        peer.sent(System.nanoTime());
        metrics.pingSent();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}

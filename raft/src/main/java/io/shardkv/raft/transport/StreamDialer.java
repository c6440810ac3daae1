package io.shardkv.raft.transport;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.shardkv.common.Backoff;
import io.shardkv.raft.proto.RaftMessageBatch;
import io.shardkv.raft.proto.RaftTransportGrpc;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Keeps the message stream to one peer with a higher id open: dials it, greets it, and after
 * any failure reports the peer unreachable and redials with bounded exponential backoff. The
 * peer sends its own frames back on the same stream, so one stream serves the pair.
 *
 * <p>A dial counts as connected only when the peer answers the hello, so a stream that gRPC
 * opened towards a dead address never looks healthy.
 */
final class StreamDialer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StreamDialer.class.getName());

    private final long localServer;
    private final long peerServer;
    private final PeerConnection connection;
    private final PeerChannels channels;
    private final BatchCodec codec;
    private final FrameReceiver receiver;
    private final Backoff backoff;
    private final ScheduledExecutorService timer;
    private final LongConsumer reportUnreachable;
    private final TransportMetrics metrics;

    // Guarded by this.
    private boolean closed;
    /** The stream being greeted or in use; null between a failure and the next dial. */
    private FrameStream current;
    private ScheduledFuture<?> pendingDial;
    /** Failed dials since the last greeted stream; picks the next backoff delay. */
    private int failures;

    StreamDialer(long localServer, long peerServer, PeerConnection connection, PeerChannels channels,
                 BatchCodec codec, FrameReceiver receiver, Backoff backoff, ScheduledExecutorService timer,
                 LongConsumer reportUnreachable, TransportMetrics metrics) {
        if (localServer >= peerServer) {
            throw new IllegalArgumentException("server " + localServer + " must not dial lower server " + peerServer);
        }
        this.localServer = localServer;
        this.peerServer = peerServer;
        this.connection = connection;
        this.channels = channels;
        this.codec = codec;
        this.receiver = receiver;
        this.backoff = backoff;
        this.timer = timer;
        this.reportUnreachable = reportUnreachable;
        this.metrics = metrics;
    }

    /**
     * Dials now: at start, and when the peer's address changed. A stream to the old address is
     * ended first; the next dial uses the new one.
     */
    void redialNow() {
        FrameStream old;
        synchronized (this) {
            if (closed) {
                return;
            }
            failures = 0;
            old = current;
            if (old == null) {
                if (pendingDial != null) {
                    pendingDial.cancel(false);
                    pendingDial = null;
                }
                scheduleDialAfter(0);
                return;
            }
        }
        // Its failure handler schedules the next dial.
        old.fail(Status.UNAVAILABLE.withDescription("server " + peerServer + " moved").asRuntimeException());
    }

    /** On the timer thread. */
    private void dial() {
        synchronized (this) {
            pendingDial = null;
            if (closed || current != null) {
                return;
            }
        }
        Optional<ManagedChannel> channel = channels.channel(peerServer);
        if (channel.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "server " + peerServer + " has no address; not dialing it");
            return;
        }
        // The channel keeps its own connect backoff, which grows to minutes; ours is bounded and
        // decides when to try, so let this dial connect at once.
        channel.get().resetConnectBackoff();
        Dialed call = new Dialed();
        try {
            // Frames coming back are handled on the network thread, as on the accepting side.
            RaftTransportGrpc.newStub(channel.get()).withExecutor(MoreExecutors.directExecutor()).stream(call);
            call.stream.write(codec.hello(peerServer));
        } catch (RuntimeException e) {
            // The call could not start (e.g. the channel shut down as the peer moved).
            if (call.stream != null) {
                call.stream.fail(e);
            } else {
                LOG.log(System.Logger.Level.ERROR, "could not open a stream to server " + peerServer, e);
                scheduleDial();
            }
        }
    }

    private void streamFailed(FrameStream s, Throwable cause) {
        boolean wasUp = connection.detach(s);
        if (!wasUp) {
            connection.dialFailed();
        }
        long delayMillis;
        int failed;
        synchronized (this) {
            if (current == s) {
                current = null;
            }
            if (closed) {
                return;
            }
            failed = failures;
            delayMillis = scheduleDial();
        }
        metrics.reconnect();
        String status = StatusText.of(cause);
        if (wasUp) {
            LOG.log(System.Logger.Level.WARNING, "stream " + s + " failed: " + status + "; redialing in "
                    + delayMillis + " ms");
        } else {
            LOG.log(failed == 0 ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "cannot reach server " + peerServer + " (attempt " + (failed + 1) + "): " + status
                            + "; redialing in " + delayMillis + " ms");
        }
        reportUnreachable.accept(peerServer);
    }

    /** Schedules the next dial after the backoff delay; returns the delay. */
    private synchronized long scheduleDial() {
        long delayMillis = backoff.delayMillis(failures++);
        scheduleDialAfter(delayMillis);
        return delayMillis;
    }

    private synchronized void scheduleDialAfter(long delayMillis) {
        if (pendingDial != null || closed) {
            return;
        }
        try {
            pendingDial = timer.schedule(this::dial, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The transport closed its timer while a directory change was being applied.
            LOG.log(System.Logger.Level.DEBUG, "not dialing server " + peerServer + ": the transport is closed", e);
            closed = true;
        }
    }

    @Override
    public void close() {
        FrameStream s;
        synchronized (this) {
            closed = true;
            if (pendingDial != null) {
                pendingDial.cancel(false);
            }
            s = current;
        }
        if (s != null) {
            s.fail(Status.UNAVAILABLE.withDescription("server " + localServer + " is shutting down")
                    .asRuntimeException());
        }
    }

    /** The client side of one dialed Stream call. Callbacks of one call never run concurrently. */
    private final class Dialed implements ClientResponseObserver<RaftMessageBatch, RaftMessageBatch> {
        private volatile FrameStream stream;
        private volatile boolean greeted;

        @Override
        public void beforeStart(ClientCallStreamObserver<RaftMessageBatch> requestStream) {
            stream = new FrameStream(requestStream, localServer + " -> " + peerServer + " (dialed)",
                    StreamDialer.this::streamFailed);
            requestStream.setOnReadyHandler(() -> {
                if (greeted) {
                    connection.requestFlush();
                }
            });
            // Set before the call starts, so a failure callback always finds it.
            synchronized (StreamDialer.this) {
                current = stream;
            }
        }

        @Override
        public void onNext(RaftMessageBatch frame) {
            if (greeted) {
                connection.heard(System.nanoTime());
                receiver.receive(peerServer, frame);
                return;
            }
            if (!BatchCodec.isHello(frame) || frame.getFromServer() != peerServer
                    || frame.getToServer() != localServer) {
                stream.fail(Status.FAILED_PRECONDITION.withDescription("expected a hello from server " + peerServer
                        + " to " + localServer + ", got one from " + frame.getFromServer() + " to "
                        + frame.getToServer()).asRuntimeException());
                return;
            }
            greeted = true;
            synchronized (StreamDialer.this) {
                failures = 0;
            }
            connection.attach(stream);
            LOG.log(System.Logger.Level.INFO, "connected " + stream);
        }

        @Override
        public void onError(Throwable t) {
            stream.fail(t);
        }

        @Override
        public void onCompleted() {
            stream.fail(Status.UNAVAILABLE.withDescription("server " + peerServer + " ended the stream")
                    .asRuntimeException());
        }
    }
}

package io.shardkv.raft.transport;

import io.grpc.Status;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * The transport's failure detector, run on both ends of every stream: a peer that has sent no
 * frame for {@code silenceMillis} is declared silent, and its stream is ended, which reports the
 * peer unreachable to the runtime exactly as a broken connection does (quiesced followers whose
 * leader lives there wake and elect). To keep a healthy but idle pair from looking silent, each
 * side sends an empty frame (a ping) to a peer it has written nothing to for
 * {@code pingIntervalMillis}.
 *
 * <p>Why the transport does this itself: a frozen process (SIGSTOP, a long GC pause, a hung disk
 * under a blocked JVM) keeps its TCP connections open, since the kernel still acknowledges, so
 * nothing fails on the wire; HTTP/2 keep-alive pings would notice, but gRPC allows them no more
 * often than every 10 s, and only the dialing side of a stream sends them.
 *
 * <p>A check that runs late says more about this process than about its peers: after this JVM
 * itself was paused, every peer looks silent while their frames sit unread in socket buffers.
 * So a check that comes more than a silence period after the previous one restarts every peer's
 * silence clock instead of judging.
 *
 * <p>{@link #check(long)} takes the time as an argument, so tests drive it with a fake clock.
 */
final class PeerLivenessMonitor {
    private static final System.Logger LOG = System.getLogger(PeerLivenessMonitor.class.getName());

    private final Collection<PeerConnection> connections;
    private final long pingIntervalNanos;
    private final long silenceNanos;
    private final TransportMetrics metrics;
    private long lastCheckNanos;
    private boolean checkedBefore;

    PeerLivenessMonitor(Collection<PeerConnection> connections, long pingIntervalMillis, long silenceMillis,
                        TransportMetrics metrics) {
        if (pingIntervalMillis <= 0 || silenceMillis <= pingIntervalMillis) {
            throw new IllegalArgumentException("peer silence (" + silenceMillis
                    + " ms) must exceed the ping interval (" + pingIntervalMillis + " ms), which must be positive");
        }
        this.connections = connections;
        this.pingIntervalNanos = TimeUnit.MILLISECONDS.toNanos(pingIntervalMillis);
        this.silenceNanos = TimeUnit.MILLISECONDS.toNanos(silenceMillis);
        this.metrics = metrics;
    }

    /** One round: pings where this side has been quiet, ends streams of silent peers. */
    synchronized void check(long nowNanos) {
        boolean late = checkedBefore && nowNanos - lastCheckNanos > silenceNanos;
        checkedBefore = true;
        lastCheckNanos = nowNanos;
        for (PeerConnection c : connections) {
            FrameStream stream = c.stream();
            if (stream == null) {
                continue;
            }
            if (late) {
                c.heard(nowNanos);
                continue;
            }
            if (nowNanos - c.lastSentNanos() >= pingIntervalNanos) {
                c.requestPing();
            }
            long silent = nowNanos - c.lastHeardNanos();
            if (silent >= silenceNanos) {
                long millis = TimeUnit.NANOSECONDS.toMillis(silent);
                metrics.peerSilent();
                LOG.log(System.Logger.Level.WARNING, "server " + c.peerServer() + " sent nothing for " + millis
                        + " ms on " + stream + "; ending the stream and reporting it unreachable");
                stream.fail(Status.UNAVAILABLE.withDescription("no frame from server " + c.peerServer() + " for "
                        + millis + " ms").asRuntimeException());
            }
        }
        if (late) {
            LOG.log(System.Logger.Level.INFO, "the liveness check ran late (this process was paused?);"
                    + " restarting every peer's silence clock");
        }
    }
}

package io.shardkv.raft.transport;

import io.shardkv.common.Backoff;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Settings of a {@link GrpcRaftTransport}. Every queue, frame and transfer is bounded here;
 * {@link #builder()} documents the defaults.
 *
 * @param host                          address the gRPC server binds to
 * @param port                          port it binds to; 0 picks a free one (see {@link GrpcRaftTransport#port()})
 * @param senderThreads                 threads that merge and write outbound batches, shared by all peers
 * @param serviceThreads                threads that run gRPC callbacks (incoming frames, snapshot chunks)
 * @param maxQueuedMessages             Raft messages queued per destination; beyond it the oldest are dropped
 * @param maxQueuedBytes                payload bytes queued per destination; beyond it the oldest are dropped
 * @param maxBatchBytes                 payload bytes one outbound frame takes from the queue (at least one message)
 * @param maxFrameBytes                 largest frame or snapshot chunk accepted from the wire
 * @param snapshotChunkBytes            data bytes per snapshot chunk
 * @param maxConcurrentSnapshotSends    snapshots this server streams at once; further ones wait
 * @param maxQueuedSnapshotSends        snapshots waiting for a slot; beyond it a snapshot fails at once
 * @param maxConcurrentSnapshotReceives snapshots this server accepts at once; further ones are refused
 * @param maxSnapshotBytes              largest snapshot accepted
 * @param snapshotTimeoutMillis         deadline of a snapshot transfer, plus a second per MiB it streams
 * @param reconnectMinBackoffMillis     first delay before redialing a peer
 * @param reconnectMaxBackoffMillis     bound of the redial delay
 * @param keepAliveMillis               HTTP/2 ping interval that detects a silently dead connection
 *                                      (gRPC raises values below 10 s to 10 s)
 * @param keepAliveTimeoutMillis        how long a ping may go unanswered before the connection is dropped
 * @param pingIntervalMillis            an empty frame goes to a peer this server has sent nothing to for this long
 * @param peerSilenceMillis             a peer that sent no frame for this long (pings included) is reported
 *                                      unreachable and its stream ended: the failure detector that lets
 *                                      followers of a frozen leader elect a new one
 */
public record GrpcTransportConfig(String host, int port, int senderThreads, int serviceThreads,
                                  int maxQueuedMessages, long maxQueuedBytes, long maxBatchBytes, int maxFrameBytes,
                                  int snapshotChunkBytes, int maxConcurrentSnapshotSends, int maxQueuedSnapshotSends,
                                  int maxConcurrentSnapshotReceives, long maxSnapshotBytes, long snapshotTimeoutMillis,
                                  long reconnectMinBackoffMillis, long reconnectMaxBackoffMillis,
                                  long keepAliveMillis, long keepAliveTimeoutMillis, long pingIntervalMillis,
                                  long peerSilenceMillis) {

    /** A frame carries messages plus per-message envelopes; this much room is kept for them. */
    static final int FRAME_OVERHEAD_BYTES = 64 * 1024;
    public static final long DEFAULT_PING_INTERVAL_MILLIS = 250;
    public static final long DEFAULT_PEER_SILENCE_MILLIS = 1_500;

    public GrpcTransportConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is required");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is outside [0, 65535]");
        }
        if (senderThreads <= 0 || serviceThreads <= 0 || maxQueuedMessages <= 0 || maxQueuedBytes <= 0
                || maxBatchBytes <= 0 || snapshotChunkBytes <= 0 || maxConcurrentSnapshotSends <= 0
                || maxQueuedSnapshotSends < 0 || maxConcurrentSnapshotReceives <= 0 || maxSnapshotBytes <= 0
                || snapshotTimeoutMillis <= 0 || keepAliveMillis <= 0 || keepAliveTimeoutMillis <= 0
                || pingIntervalMillis <= 0 || peerSilenceMillis <= pingIntervalMillis) {
            throw new IllegalArgumentException("transport limits must be positive: senderThreads=" + senderThreads
                    + " serviceThreads=" + serviceThreads + " maxQueuedMessages=" + maxQueuedMessages
                    + " maxQueuedBytes=" + maxQueuedBytes + " maxBatchBytes=" + maxBatchBytes
                    + " snapshotChunkBytes=" + snapshotChunkBytes + " snapshotSends=" + maxConcurrentSnapshotSends
                    + "/" + maxQueuedSnapshotSends + " snapshotReceives=" + maxConcurrentSnapshotReceives
                    + " maxSnapshotBytes=" + maxSnapshotBytes + " snapshotTimeoutMillis=" + snapshotTimeoutMillis
                    + " keepAlive=" + keepAliveMillis + "/" + keepAliveTimeoutMillis + " ping=" + pingIntervalMillis
                    + " peerSilence=" + peerSilenceMillis + " (must exceed ping)");
        }
        if (maxBatchBytes + FRAME_OVERHEAD_BYTES > maxFrameBytes
                || snapshotChunkBytes + FRAME_OVERHEAD_BYTES > maxFrameBytes) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes + " must exceed maxBatchBytes "
                    + maxBatchBytes + " and snapshotChunkBytes " + snapshotChunkBytes + " by "
                    + FRAME_OVERHEAD_BYTES);
        }
        // Validates the pair (the fields are not assigned yet in a compact constructor).
        new Backoff(Duration.ofMillis(reconnectMinBackoffMillis), Duration.ofMillis(reconnectMaxBackoffMillis), () -> 0);
    }

    /** A builder with the defaults, listening on 127.0.0.1 with an ephemeral port. */
    public static Builder builder() {
        return new Builder();
    }

    Backoff reconnectBackoff() {
        // Each dialer's timer thread draws its own jitter.
        return new Backoff(Duration.ofMillis(reconnectMinBackoffMillis), Duration.ofMillis(reconnectMaxBackoffMillis),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.senderThreads = senderThreads;
        b.serviceThreads = serviceThreads;
        b.maxQueuedMessages = maxQueuedMessages;
        b.maxQueuedBytes = maxQueuedBytes;
        b.maxBatchBytes = maxBatchBytes;
        b.maxFrameBytes = maxFrameBytes;
        b.snapshotChunkBytes = snapshotChunkBytes;
        b.maxConcurrentSnapshotSends = maxConcurrentSnapshotSends;
        b.maxQueuedSnapshotSends = maxQueuedSnapshotSends;
        b.maxConcurrentSnapshotReceives = maxConcurrentSnapshotReceives;
        b.maxSnapshotBytes = maxSnapshotBytes;
        b.snapshotTimeoutMillis = snapshotTimeoutMillis;
        b.reconnectMinBackoffMillis = reconnectMinBackoffMillis;
        b.reconnectMaxBackoffMillis = reconnectMaxBackoffMillis;
        b.keepAliveMillis = keepAliveMillis;
        b.keepAliveTimeoutMillis = keepAliveTimeoutMillis;
        b.pingIntervalMillis = pingIntervalMillis;
        b.peerSilenceMillis = peerSilenceMillis;
        return b;
    }

    /** Builds a config; each field starts at its documented default. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 0;
        private int senderThreads = 2;
        private int serviceThreads = 4;
        private int maxQueuedMessages = 8192;
        private long maxQueuedBytes = 64L << 20;
        private long maxBatchBytes = 4L << 20;
        private int maxFrameBytes = 16 << 20;
        private int snapshotChunkBytes = 1 << 20;
        private int maxConcurrentSnapshotSends = 2;
        private int maxQueuedSnapshotSends = 64;
        private int maxConcurrentSnapshotReceives = 2;
        private long maxSnapshotBytes = 1L << 40;
        private long snapshotTimeoutMillis = 300_000;
        private long reconnectMinBackoffMillis = 50;
        private long reconnectMaxBackoffMillis = 2_000;
        private long keepAliveMillis = 10_000;
        private long keepAliveTimeoutMillis = 5_000;
        private long pingIntervalMillis = DEFAULT_PING_INTERVAL_MILLIS;
        private long peerSilenceMillis = DEFAULT_PEER_SILENCE_MILLIS;

        private Builder() {
        }

        /** Default 127.0.0.1. */
        public Builder host(String v) { host = v; return this; }
        /** Default 0: an ephemeral port. */
        public Builder port(int v) { port = v; return this; }
        /** Default 2. */
        public Builder senderThreads(int v) { senderThreads = v; return this; }
        /** Default 4. */
        public Builder serviceThreads(int v) { serviceThreads = v; return this; }
        /** Default 8192 messages and 64 MiB per destination. */
        public Builder maxQueued(int messages, long bytes) {
            maxQueuedMessages = messages;
            maxQueuedBytes = bytes;
            return this;
        }
        /** Default 4 MiB. */
        public Builder maxBatchBytes(long v) { maxBatchBytes = v; return this; }
        /** Default 16 MiB. */
        public Builder maxFrameBytes(int v) { maxFrameBytes = v; return this; }
        /** Default 1 MiB. */
        public Builder snapshotChunkBytes(int v) { snapshotChunkBytes = v; return this; }
        /** Default 2 at once, 64 waiting. */
        public Builder snapshotSends(int concurrent, int queued) {
            maxConcurrentSnapshotSends = concurrent;
            maxQueuedSnapshotSends = queued;
            return this;
        }
        /** Default 2. */
        public Builder maxConcurrentSnapshotReceives(int v) { maxConcurrentSnapshotReceives = v; return this; }
        /** Default 1 GiB. */
        public Builder maxSnapshotBytes(long v) { maxSnapshotBytes = v; return this; }
        /** Default 5 minutes. */
        public Builder snapshotTimeoutMillis(long v) { snapshotTimeoutMillis = v; return this; }
        /** Default 50 ms to 2 s. */
        public Builder reconnectBackoffMillis(long min, long max) {
            reconnectMinBackoffMillis = min;
            reconnectMaxBackoffMillis = max;
            return this;
        }
        /** Default a ping every 10 s, answered within 5 s. */
        public Builder keepAliveMillis(long interval, long timeout) {
            keepAliveMillis = interval;
            keepAliveTimeoutMillis = timeout;
            return this;
        }

        /**
         * Default a ping after 250 ms of quiet, a peer silent for 1.5 s reported unreachable. The
         * silence bounds how long a frozen leader keeps quiesced groups without one; it must
         * exceed the ping interval with room for a busy sender.
         */
        public Builder liveness(long pingInterval, long peerSilence) {
            pingIntervalMillis = pingInterval;
            peerSilenceMillis = peerSilence;
            return this;
        }

        /**
         * The silence after which a peer is reported unreachable, with pings after a sixth of it
         * (so five pings in a row may go missing before a healthy peer looks silent).
         */
        public Builder peerSilenceMillis(long peerSilence) {
            return liveness(Math.max(1, peerSilence / 6), peerSilence);
        }

        public GrpcTransportConfig build() {
            return new GrpcTransportConfig(host, port, senderThreads, serviceThreads, maxQueuedMessages,
                    maxQueuedBytes, maxBatchBytes, maxFrameBytes, snapshotChunkBytes, maxConcurrentSnapshotSends,
                    maxQueuedSnapshotSends, maxConcurrentSnapshotReceives, maxSnapshotBytes, snapshotTimeoutMillis,
                    reconnectMinBackoffMillis, reconnectMaxBackoffMillis, keepAliveMillis, keepAliveTimeoutMillis,
                    pingIntervalMillis, peerSilenceMillis);
        }
    }
}

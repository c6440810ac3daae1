package io.shardkv.raft.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;

/**
 * The transport's meters, registered once on the registry the server passes in. Names start
 * with {@code raft.transport.} so they never clash with the runtime's {@code raft.messages.*}.
 */
final class TransportMetrics {

    /** Why messages were dropped before reaching the wire. */
    enum DropReason {
        /** The destination's queue was full; the oldest messages went. */
        QUEUE_FULL,
        /** The stream to the destination failed; what was queued for it went. */
        DISCONNECTED,
        /** The destination is not in the peer directory. */
        UNKNOWN_PEER,
        /** One message was larger than a frame may be. */
        TOO_LARGE,
        /** A received frame could not be decoded or was misaddressed. */
        MALFORMED;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Counter batchesSent;
    private final Counter batchesReceived;
    private final Counter messagesSent;
    private final Counter messagesReceived;
    private final Counter bytesSent;
    private final Counter heartbeatsCoalescedSent;
    private final Counter heartbeatsCoalescedReceived;
    private final Counter[] dropped;
    private final Counter snapshotChunksSent;
    private final Counter snapshotBytesSent;
    private final Counter snapshotChunksReceived;
    private final Counter snapshotBytesReceived;
    private final Counter snapshotsSent;
    private final Counter snapshotsReceived;
    private final Counter snapshotSendsFailed;
    private final Counter snapshotReceivesFailed;
    private final Counter reconnects;
    private final Counter pingsSent;
    private final Counter peersSilent;
    private final MeterRegistry registry;

    /** A caller refused: its certificate names another server than its frames ({@code identity}), or one the map lacks. */
    void peerRefused(String reason) {
        Counter.builder("raft.transport.peers.refused").tag("reason", reason)
                .description("streams and snapshots refused because of who the caller proved to be")
                .register(registry).increment();
    }

    TransportMetrics(MeterRegistry registry, Supplier<Number> unreachablePeers) {
        this.registry = registry;
        batchesSent = Counter.builder("raft.transport.batches.sent").description("frames written to peers")
                .register(registry);
        batchesReceived = Counter.builder("raft.transport.batches.received").register(registry);
        messagesSent = Counter.builder("raft.transport.messages.sent")
                .description("raft messages in sent frames, coalesced heartbeats included").register(registry);
        messagesReceived = Counter.builder("raft.transport.messages.received").register(registry);
        bytesSent = Counter.builder("raft.transport.bytes.sent").baseUnit("bytes").register(registry);
        heartbeatsCoalescedSent = Counter.builder("raft.transport.heartbeats.coalesced.sent")
                .description("heartbeats and answers sent as compact entries").register(registry);
        heartbeatsCoalescedReceived = Counter.builder("raft.transport.heartbeats.coalesced.received")
                .register(registry);
        DropReason[] reasons = DropReason.values();
        dropped = new Counter[reasons.length];
        for (DropReason r : reasons) {
            dropped[r.ordinal()] = Counter.builder("raft.transport.messages.dropped").tag("reason", r.tag())
                    .register(registry);
        }
        snapshotChunksSent = Counter.builder("raft.transport.snapshot.chunks.sent").register(registry);
        snapshotBytesSent = Counter.builder("raft.transport.snapshot.bytes.sent").baseUnit("bytes").register(registry);
        snapshotChunksReceived = Counter.builder("raft.transport.snapshot.chunks.received").register(registry);
        snapshotBytesReceived = Counter.builder("raft.transport.snapshot.bytes.received").baseUnit("bytes")
                .register(registry);
        snapshotsSent = Counter.builder("raft.transport.snapshots").tag("direction", "sent").register(registry);
        snapshotsReceived = Counter.builder("raft.transport.snapshots").tag("direction", "received").register(registry);
        snapshotSendsFailed = Counter.builder("raft.transport.snapshots.failed").tag("direction", "sent")
                .register(registry);
        snapshotReceivesFailed = Counter.builder("raft.transport.snapshots.failed").tag("direction", "received")
                .register(registry);
        reconnects = Counter.builder("raft.transport.reconnects").description("redials after a failed stream")
                .register(registry);
        pingsSent = Counter.builder("raft.transport.pings.sent")
                .description("empty frames sent to peers this server had been quiet towards").register(registry);
        peersSilent = Counter.builder("raft.transport.peers.silent")
                .description("streams ended because the peer sent nothing for the silence timeout").register(registry);
        // Micrometer holds a gauge's object weakly; without a strong reference the supplier, held
        // by nothing else, is collected and the gauge reads NaN.
        Gauge.builder("raft.transport.peers.unreachable", unreachablePeers, s -> s.get().doubleValue())
                .strongReference(true).register(registry);
    }

    /**
     * Registers the gauge of seconds since {@code peer} last sent a frame; removed again by
     * {@link #forgetPeer}.
     */
    void watchPeer(PeerConnection peer) {
        Gauge.builder("raft.transport.peer.silence", peer, c -> (System.nanoTime() - c.lastHeardNanos()) / 1e9)
                .description("seconds since the peer's last frame (pings included)").baseUnit("seconds")
                .tag("peer", Long.toString(peer.peerServer())).strongReference(true).register(registry);
    }

    void forgetPeer(long peer) {
        Gauge g = registry.find("raft.transport.peer.silence").tag("peer", Long.toString(peer)).gauge();
        if (g != null) {
            registry.remove(g);
        }
    }

    void pingSent() {
        pingsSent.increment();
    }

    void peerSilent() {
        peersSilent.increment();
    }

    void batchSent(BatchCodec.Encoded frame, long bytes) {
        batchesSent.increment();
        messagesSent.increment(frame.messages());
        heartbeatsCoalescedSent.increment(frame.coalescedHeartbeats());
        bytesSent.increment(bytes);
    }

    void batchReceived(int messages, int coalescedHeartbeats) {
        batchesReceived.increment();
        messagesReceived.increment(messages);
        heartbeatsCoalescedReceived.increment(coalescedHeartbeats);
    }

    void dropped(DropReason reason, int messages) {
        if (messages > 0) {
            dropped[reason.ordinal()].increment(messages);
        }
    }

    void snapshotChunkSent(int bytes) {
        snapshotChunksSent.increment();
        snapshotBytesSent.increment(bytes);
    }

    void snapshotChunkReceived(int bytes) {
        snapshotChunksReceived.increment();
        snapshotBytesReceived.increment(bytes);
    }

    void snapshotSent() {
        snapshotsSent.increment();
    }

    void snapshotReceived() {
        snapshotsReceived.increment();
    }

    void snapshotSendFailed() {
        snapshotSendsFailed.increment();
    }

    void snapshotReceiveFailed() {
        snapshotReceivesFailed.increment();
    }

    void reconnect() {
        reconnects.increment();
    }
}

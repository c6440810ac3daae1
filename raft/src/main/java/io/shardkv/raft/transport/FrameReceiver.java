package io.shardkv.raft.transport;

import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.List;

/**
 * Hands the frames that arrive on any stream to the runtime, expanded into core messages. It
 * runs on gRPC's callback threads, which deliver the frames of one stream one at a time and
 * in order, so the runtime sees each peer's messages in the order that peer sent them.
 */
final class FrameReceiver {
    private static final System.Logger LOG = System.getLogger(FrameReceiver.class.getName());

    private final long localServer;
    private final RaftTransport.Inbound inbound;
    private final TransportMetrics metrics;

    FrameReceiver(long localServer, RaftTransport.Inbound inbound, TransportMetrics metrics) {
        this.localServer = localServer;
        this.inbound = inbound;
        this.metrics = metrics;
    }

    /**
     * Delivers a frame that arrived on the stream greeted by {@code peer}. A misaddressed or
     * malformed frame is dropped and logged: it means a bug or a version mismatch, and
     * breaking the stream over it would only make the peer resend it.
     */
    void receive(long peer, RaftMessageBatch frame) {
        if (frame.getFromServer() != peer || frame.getToServer() != localServer) {
            int n = frame.getMessagesCount() + frame.getHeartbeatsCount() + frame.getHeartbeatResponsesCount();
            metrics.dropped(TransportMetrics.DropReason.MALFORMED, n);
            LOG.log(System.Logger.Level.WARNING, "dropped a frame addressed " + frame.getFromServer() + "->"
                    + frame.getToServer() + " on the stream between " + peer + " and " + localServer);
            return;
        }
        List<GroupMessage> messages;
        try {
            messages = BatchCodec.decode(frame);
        } catch (IllegalArgumentException e) {
            int n = frame.getMessagesCount() + frame.getHeartbeatsCount() + frame.getHeartbeatResponsesCount();
            metrics.dropped(TransportMetrics.DropReason.MALFORMED, n);
            LOG.log(System.Logger.Level.WARNING, "dropped a malformed frame from server " + peer, e);
            return;
        }
        metrics.batchReceived(messages.size(), frame.getHeartbeatsCount() + frame.getHeartbeatResponsesCount());
        if (!messages.isEmpty()) {
            inbound.onMessages(peer, messages);
        }
    }
}

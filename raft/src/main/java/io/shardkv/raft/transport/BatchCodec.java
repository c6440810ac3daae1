package io.shardkv.raft.transport;

import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.proto.CoalescedHeartbeat;
import io.shardkv.raft.proto.RaftMessage;
import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the one {@link RaftMessageBatch} a flush sends to a destination, and expands a
 * received batch back into core messages. Plain heartbeats and their answers go into the
 * coalesced lists ({@link HeartbeatCoalescer}); everything else stays a full message, in the
 * order the sender produced it.
 *
 * <p>A batch with no content is a hello: the dialing side opens every stream with one naming
 * both ends, and the accepting side answers with one (see {@link GrpcRaftTransport}). After the
 * greeting an empty batch is a ping, which only shows that its sender is alive
 * ({@link PeerLivenessMonitor}).
 */
final class BatchCodec {

    /** An encoded frame and what it holds, for metrics. */
    record Encoded(RaftMessageBatch batch, int messages, int coalescedHeartbeats, int droppedTooLarge) {
    }

    private final long localServer;
    private final long maxMessageBytes;

    /**
     * @param maxMessageBytes a single message whose encoding exceeds this would make the
     *                        receiver refuse the whole frame; it is dropped instead
     */
    BatchCodec(long localServer, long maxMessageBytes) {
        this.localServer = localServer;
        this.maxMessageBytes = maxMessageBytes;
    }

    RaftMessageBatch hello(long toServer) {
        return RaftMessageBatch.newBuilder().setFromServer(localServer).setToServer(toServer).build();
    }

    RaftMessageBatch ping(long toServer) {
        return hello(toServer);
    }

    static boolean isHello(RaftMessageBatch b) {
        return b.getMessagesCount() == 0 && b.getHeartbeatsCount() == 0 && b.getHeartbeatResponsesCount() == 0;
    }

    /** Encodes one flush's messages (no snapshots: those travel on their own RPC). */
    Encoded encode(long toServer, List<GroupMessage> messages) {
        RaftMessageBatch.Builder b = RaftMessageBatch.newBuilder().setFromServer(localServer).setToServer(toServer);
        int full = 0;
        int coalesced = 0;
        int tooLarge = 0;
        for (GroupMessage gm : messages) {
            Message m = gm.message();
            if (HeartbeatCoalescer.canCoalesce(m)) {
                CoalescedHeartbeat entry = HeartbeatCoalescer.toEntry(gm.groupId(), m);
                if (m.type() == MessageType.HEARTBEAT) {
                    b.addHeartbeats(entry);
                } else {
                    b.addHeartbeatResponses(entry);
                }
                coalesced++;
                continue;
            }
            RaftMessage wire = RaftMessageCodec.encode(gm.groupId(), m);
            if (wire.getSerializedSize() > maxMessageBytes) {
                tooLarge++;
                continue;
            }
            b.addMessages(wire);
            full++;
        }
        return new Encoded(b.build(), full + coalesced, coalesced, tooLarge);
    }

    /**
     * Expands a received batch: the full messages in their order, then the heartbeats, then
     * the heartbeat answers. Raft does not depend on the order across groups or between a
     * heartbeat and other messages of a group (any message may be lost or reordered).
     *
     * @throws IllegalArgumentException if any message is malformed
     */
    static List<GroupMessage> decode(RaftMessageBatch b) {
        List<GroupMessage> out = new ArrayList<>(
                b.getMessagesCount() + b.getHeartbeatsCount() + b.getHeartbeatResponsesCount());
        for (RaftMessage pm : b.getMessagesList()) {
            out.add(new GroupMessage(pm.getGroupId(), RaftMessageCodec.decode(pm)));
        }
        for (CoalescedHeartbeat h : b.getHeartbeatsList()) {
            out.add(HeartbeatCoalescer.heartbeat(h));
        }
        for (CoalescedHeartbeat h : b.getHeartbeatResponsesList()) {
            out.add(HeartbeatCoalescer.response(h));
        }
        return out;
    }
}

package io.shardkv.raft.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.List;

/**
 * The transport's frame encoding, for the runtime simulation: what a poller sends to one server
 * in a cycle becomes the bytes {@link GrpcRaftTransport} would put on the wire (heartbeats
 * coalesced, oversized messages dropped), and back.
 */
public final class WireCodec {
    private final BatchCodec codec;

    public WireCodec(long localServer, long maxMessageBytes) {
        this.codec = new BatchCodec(localServer, maxMessageBytes);
    }

    /** One frame for {@code toServer}; SNAPSHOT messages travel apart and must not be in it. */
    public byte[] encode(long toServer, List<GroupMessage> messages) {
        return codec.encode(toServer, messages).batch().toByteArray();
    }

    /** The messages of a received frame, in the order the sender produced them. */
    public static List<GroupMessage> decode(byte[] frame) {
        try {
            return BatchCodec.decode(RaftMessageBatch.parseFrom(frame));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a frame: " + e.getMessage(), e);
        }
    }
}

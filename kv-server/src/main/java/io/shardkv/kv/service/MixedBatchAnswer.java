package io.shardkv.kv.service;

import com.google.protobuf.ByteString;
import io.shardkv.kv.proto.ClientOperationResponse;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.OpResult;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.state.KvStateMachine;
import java.util.List;
import java.util.Optional;

/**
 * The answer to a batch of writes and GETs whose writes applied: each write's result in its
 * place, and each GET read from the state machine now, or marked unread (the client sends it
 * again on its own) when the group no longer serves the batch's slots here or the answer would
 * pass the response limit. Never an error: the writes applied, and an error would say they had not.
 */
final class MixedBatchAnswer {
    private MixedBatchAnswer() {
    }

    /**
     * @param writeResults the applied write's results, one per PUT/DEL of {@code ops} in order
     * @param slotsServed  whether the group still serves every slot of the batch here
     * @param maxBytes     key and value bytes the GETs' answers may take in all
     */
    static ClientOperationResponse of(List<KvOp> ops, boolean[] writeResults, KvStateMachine sm, boolean slotsServed,
                                      long maxBytes) {
        ClientOperationResponse answer = build(ops, writeResults, sm, slotsServed, maxBytes);
        // Destroyed while reading: its keys may be half deleted, so "absent" means nothing.
        return sm.isClosed() ? build(ops, writeResults, sm, false, 0) : answer;
    }

    private static ClientOperationResponse build(List<KvOp> ops, boolean[] writeResults, KvStateMachine sm,
                                                 boolean read, long maxBytes) {
        ClientOperationResponse.Builder b = ClientOperationResponse.newBuilder();
        int write = 0;
        long bytes = 0;
        boolean reading = read;
        for (KvOp op : ops) {
            if (op.getOp() != OpType.GET) {
                b.addResults(OpResult.newBuilder().setFound(writeResults[write++]));
                continue;
            }
            if (reading) {
                Optional<byte[]> value = sm.get(op.getKey().toByteArray());
                long size = op.getKey().size() + value.map(v -> (long) v.length).orElse(0L);
                if (bytes + size <= maxBytes) {
                    bytes += size;
                    b.addResults(value.map(v -> OpResult.newBuilder().setFound(true).setValue(ByteString.copyFrom(v))
                            .build()).orElse(OpResult.getDefaultInstance()));
                    continue;
                }
                // The GETs after this one go unread too, so the answer stays in the limit.
                reading = false;
            }
            b.addResults(OpResult.newBuilder().setUnread(true));
        }
        return b.build();
    }
}

package io.shardkv.kv.service;

import com.google.protobuf.ByteString;
import io.shardkv.common.Limits;
import io.shardkv.kv.proto.ClientOperationRequest;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.kv.proto.ScanRequest;
import java.util.Optional;

/**
 * The request limits ({@link Limits}, shared with the client) applied to the wire messages,
 * checked before anything is proposed. Each check answers the reason a request is refused, or
 * empty when it is fine.
 */
public final class RequestValidation {
    private RequestValidation() {
    }

    public static Optional<String> header(RequestHeader header) {
        if (header.getGroupId() == 0) {
            return Optional.of("header.group_id is required (group ids start at 1)");
        }
        return Optional.empty();
    }

    public static Optional<String> key(ByteString key) {
        return Limits.key(key.size());
    }

    public static Optional<String> put(ByteString key, ByteString value) {
        return Limits.key(key.size()).or(() -> Limits.value(value.size()));
    }

    public static Optional<String> scan(ScanRequest r) {
        boolean endAfterStart = ByteString.unsignedLexicographicalComparator().compare(r.getEnd(), r.getStart()) > 0;
        // limit is a uint32 on the wire: Java sees values from 2^31 on as negative.
        return Limits.scanRange(r.getStart().size(), r.getEnd().size(), endAfterStart)
                .or(() -> Limits.scanLimit(Integer.toUnsignedLong(r.getLimit())))
                .or(() -> r.getCursor().size() > Limits.MAX_KEY_BYTES
                        ? Optional.of("scan cursor is a key: at most " + Limits.MAX_KEY_BYTES + " bytes")
                        : Optional.empty());
    }

    /** A batch: not empty, every key and value within limits, total bounded. */
    public static Optional<String> batch(ClientOperationRequest r) {
        if (r.getOpsCount() == 0) {
            return Optional.of("batch has no operations");
        }
        long total = 0;
        for (int i = 0; i < r.getOpsCount(); i++) {
            KvOp op = r.getOps(i);
            if (op.getOp() == OpType.UNRECOGNIZED) {
                return Optional.of("operation " + i + " has an unknown type");
            }
            Optional<String> bad = op.getOp() == OpType.PUT ? put(op.getKey(), op.getValue()) : key(op.getKey());
            if (bad.isPresent()) {
                return Optional.of("operation " + i + ": " + bad.get());
            }
            total += op.getKey().size() + op.getValue().size();
        }
        return Limits.batch(total);
    }
}

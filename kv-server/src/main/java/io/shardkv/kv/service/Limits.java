package io.shardkv.kv.service;

import io.shardkv.kv.proto.ClientOperationRequest;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.kv.proto.ScanRequest;
import com.google.protobuf.ByteString;
import java.util.Optional;

/**
 * The request limits of DESIGN 3, checked before anything is proposed. Each check answers the
 * reason a request is refused, or empty when it is fine.
 */
public final class Limits {
    public static final int MAX_KEY_BYTES = 8 * 1024;
    public static final int MAX_VALUE_BYTES = 4 * 1024 * 1024;
    public static final long MAX_BATCH_BYTES = 16L * 1024 * 1024;
    public static final int MAX_SCAN_LIMIT = 10_000;
    public static final int DEFAULT_SCAN_LIMIT = 1_000;
    /** gRPC's inbound message bound on both sides: a whole batch plus its framing fits. */
    public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

    private Limits() {
    }

    public static Optional<String> header(RequestHeader header) {
        if (header.getGroupId() == 0) {
            return Optional.of("header.group_id is required (group ids start at 1)");
        }
        return Optional.empty();
    }

    public static Optional<String> key(ByteString key) {
        if (key.isEmpty()) {
            return Optional.of("key is empty");
        }
        if (key.size() > MAX_KEY_BYTES) {
            return Optional.of("key of " + key.size() + " bytes exceeds the limit of " + MAX_KEY_BYTES + " bytes");
        }
        return Optional.empty();
    }

    public static Optional<String> value(ByteString value) {
        if (value.size() > MAX_VALUE_BYTES) {
            return Optional.of("value of " + value.size() + " bytes exceeds the limit of " + MAX_VALUE_BYTES
                    + " bytes");
        }
        return Optional.empty();
    }

    public static Optional<String> put(ByteString key, ByteString value) {
        Optional<String> k = key(key);
        return k.isPresent() ? k : value(value);
    }

    public static Optional<String> scan(ScanRequest r) {
        if (!r.getEnd().isEmpty() && ByteString.unsignedLexicographicalComparator().compare(r.getEnd(),
                r.getStart()) <= 0) {
            return Optional.of("scan end must be greater than start (or empty for no bound)");
        }
        // limit is a uint32 on the wire: Java sees values from 2^31 on as negative.
        long limit = Integer.toUnsignedLong(r.getLimit());
        if (limit > MAX_SCAN_LIMIT) {
            return Optional.of("scan limit " + limit + " exceeds the maximum of " + MAX_SCAN_LIMIT);
        }
        if (r.getStart().size() > MAX_KEY_BYTES || r.getEnd().size() > MAX_KEY_BYTES
                || r.getCursor().size() > MAX_KEY_BYTES) {
            return Optional.of("scan start, end and cursor are keys: at most " + MAX_KEY_BYTES + " bytes each");
        }
        return Optional.empty();
    }

    /** A batch: not empty, all reads or all writes, every key and value within limits, total bounded. */
    public static Optional<String> batch(ClientOperationRequest r) {
        if (r.getOpsCount() == 0) {
            return Optional.of("batch has no operations");
        }
        boolean reads = r.getOps(0).getOp() == OpType.GET;
        long total = 0;
        for (int i = 0; i < r.getOpsCount(); i++) {
            KvOp op = r.getOps(i);
            if (op.getOp() == OpType.UNRECOGNIZED) {
                return Optional.of("operation " + i + " has an unknown type");
            }
            if ((op.getOp() == OpType.GET) != reads) {
                return Optional.of("a batch is all reads (GET) or all writes (PUT/DEL), not mixed");
            }
            Optional<String> bad = op.getOp() == OpType.PUT ? put(op.getKey(), op.getValue()) : key(op.getKey());
            if (bad.isPresent()) {
                return Optional.of("operation " + i + ": " + bad.get());
            }
            total += op.getKey().size() + op.getValue().size();
        }
        if (total > MAX_BATCH_BYTES) {
            return Optional.of("batch of " + total + " bytes of keys and values exceeds the limit of "
                    + MAX_BATCH_BYTES + " bytes");
        }
        return Optional.empty();
    }
}

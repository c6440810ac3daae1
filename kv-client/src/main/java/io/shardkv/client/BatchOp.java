package io.shardkv.client;

import io.shardkv.kv.proto.OpType;
import java.nio.charset.StandardCharsets;

/** One operation of a {@link KvClient#batch} request. {@code value} is only for PUT. */
public record BatchOp(OpType type, byte[] key, byte[] value) {
    public BatchOp {
        if (type == null || type == OpType.UNRECOGNIZED) {
            throw KvException.invalidArgument("batch operation type is missing");
        }
        RequestChecks.checkKey(key);
        if (type == OpType.PUT) {
            RequestChecks.checkValue(value);
        } else {
            value = new byte[0];
        }
    }

    public static BatchOp put(byte[] key, byte[] value) {
        return new BatchOp(OpType.PUT, key, value);
    }

    public static BatchOp put(String key, String value) {
        return put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    public static BatchOp get(byte[] key) {
        return new BatchOp(OpType.GET, key, null);
    }

    public static BatchOp get(String key) {
        return get(key.getBytes(StandardCharsets.UTF_8));
    }

    public static BatchOp delete(byte[] key) {
        return new BatchOp(OpType.DEL, key, null);
    }

    public static BatchOp delete(String key) {
        return delete(key.getBytes(StandardCharsets.UTF_8));
    }
}

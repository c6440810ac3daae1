package io.shardkv.client;

import io.shardkv.kv.proto.ErrorCode;

/**
 * A KV request failed with a typed {@link ErrorCode}: either the server's in-band error that
 * retrying cannot fix ({@code INVALID_ARGUMENT}, checked on the client too with the servers'
 * messages), or the last error seen before the request deadline ran out (see
 * {@link KvTimeoutException}).
 */
public class KvException extends ShardKvException {
    private final ErrorCode code;

    public KvException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public KvException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The typed error; never {@code OK}. */
    public ErrorCode code() {
        return code;
    }

    static KvException invalidArgument(String message) {
        return new KvException(ErrorCode.INVALID_ARGUMENT, message);
    }
}

package io.shardkv.client;

import io.shardkv.meta.proto.MetaErrorCode;

/**
 * A meta-server request failed: the meta leader's typed error and message (NOT_FOUND,
 * FAILED_PRECONDITION, INVALID_ARGUMENT ...), or {@code UNAVAILABLE} when no meta-server
 * leader answered before the deadline.
 */
public class MetaException extends ShardKvException {
    private final MetaErrorCode code;

    public MetaException(MetaErrorCode code, String message) {
        this(code, message, null);
    }

    public MetaException(MetaErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The typed error; never {@code OK}. */
    public MetaErrorCode code() {
        return code;
    }
}

package io.shardkv.client;

import io.shardkv.kv.proto.ErrorCode;

/**
 * The request deadline ran out while the client was still retrying (no leader, slot moving,
 * servers or meta-servers unreachable). A write that ends this way may or may not have been
 * applied. The cause is the last failure seen, when there was one.
 */
public class KvTimeoutException extends KvException {
    public KvTimeoutException(String message, Throwable lastFailure) {
        super(ErrorCode.TIMEOUT, message, lastFailure);
    }
}

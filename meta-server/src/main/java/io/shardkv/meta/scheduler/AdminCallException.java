package io.shardkv.meta.scheduler;

/** A kv-server did not answer a KvAdmin call (unreachable, deadline exceeded, cancelled). */
public final class AdminCallException extends RuntimeException {
    public AdminCallException(String message, Throwable cause) {
        super(message, cause);
    }
}

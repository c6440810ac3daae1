package io.shardkv.client;

/**
 * Base of every failure the client library reports. Subclasses carry the typed code the
 * servers answered with, so callers (and kvctl's exit codes) can tell a bad request from an
 * unreachable cluster without parsing messages.
 */
public abstract class ShardKvException extends RuntimeException {
    protected ShardKvException(String message, Throwable cause) {
        super(message, cause);
    }
}

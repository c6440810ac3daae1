package io.shardkv.kv.engine;

/** A failure of the KV database; it stops the group it hit (the raft runtime reports it). */
public final class KvEngineException extends RuntimeException {
    public KvEngineException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}

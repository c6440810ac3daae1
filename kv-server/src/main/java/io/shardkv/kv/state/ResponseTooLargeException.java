package io.shardkv.kv.state;

/** A read whose answer would pass the response byte limit; the client should ask for less at once. */
public final class ResponseTooLargeException extends RuntimeException {
    public ResponseTooLargeException(String message) {
        super(message);
    }
}

package io.shardkv.client;

import java.util.Optional;

/**
 * The outcome of one {@link BatchOp}: for GET whether the key exists and its value; for DEL
 * whether it existed; for PUT always found.
 */
public record BatchResult(boolean found, byte[] value) {
    public Optional<byte[]> valueIfFound() {
        return found ? Optional.of(value) : Optional.empty();
    }
}

package io.shardkv.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One key and its value, as a scan returns them. */
public record KvPair(byte[] key, byte[] value) {
    /** Same as {@link #key()}, for callers used to protobuf-style getters. */
    public byte[] getKey() {
        return key;
    }

    /** Same as {@link #value()}. */
    public byte[] getValue() {
        return value;
    }

    public String keyUtf8() {
        return new String(key, StandardCharsets.UTF_8);
    }

    public String valueUtf8() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvPair other && Arrays.equals(key, other.key) && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return keyUtf8() + "=" + valueUtf8();
    }
}

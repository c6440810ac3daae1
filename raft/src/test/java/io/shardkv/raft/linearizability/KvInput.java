package io.shardkv.raft.linearizability;

import java.util.Objects;

/**
 * A request to the key-value store checked by {@link KvModel}.
 *
 * <p>Keys and values are strings. Callers holding bytes can convert them losslessly with
 * {@code new String(bytes, StandardCharsets.ISO_8859_1)} (or hex), which gives value equality for
 * free.
 */
public sealed interface KvInput permits KvInput.Put, KvInput.Get, KvInput.Delete {

    /** The key this request touches; histories are partitioned by it. */
    String key();

    static Put put(String key, String value) {
        return new Put(key, value);
    }

    static Get get(String key) {
        return new Get(key);
    }

    static Delete delete(String key) {
        return new Delete(key);
    }

    /** Sets {@code key} to {@code value}; answered with {@link KvOutput.Ack}. */
    record Put(String key, String value) implements KvInput {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return "put(" + key + ", " + value + ")";
        }
    }

    /** Reads {@code key}; answered with {@link KvOutput.Read}. */
    record Get(String key) implements KvInput {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "get(" + key + ")";
        }
    }

    /** Removes {@code key}; answered with {@link KvOutput.Ack}. Deleting an absent key is allowed. */
    record Delete(String key) implements KvInput {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "delete(" + key + ")";
        }
    }
}

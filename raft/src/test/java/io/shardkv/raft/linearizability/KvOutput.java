package io.shardkv.raft.linearizability;

import java.util.Objects;
import java.util.Optional;

/** A response from the key-value store checked by {@link KvModel}. */
public sealed interface KvOutput permits KvOutput.Ack, KvOutput.Read {

    /** Acknowledgement of a put or delete. */
    static Ack ack() {
        return Ack.INSTANCE;
    }

    /** A get that returned {@code value}. */
    static Read read(String value) {
        return new Read(Optional.of(value));
    }

    /** A get that found no value for the key. */
    static Read absent() {
        return new Read(Optional.empty());
    }

    /** Successful completion of a write; carries nothing because the model needs nothing. */
    enum Ack implements KvOutput {
        INSTANCE;

        @Override
        public String toString() {
            return "ok";
        }
    }

    /** Result of a get: the value read, or empty if the key was absent. */
    record Read(Optional<String> value) implements KvOutput {
        public Read {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return value.orElse("<absent>");
        }
    }
}

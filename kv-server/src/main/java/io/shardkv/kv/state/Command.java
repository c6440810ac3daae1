package io.shardkv.kv.state;

import io.shardkv.kv.proto.MigrationCommand;
import java.util.List;

/**
 * A command in a group's log. Every command carries the proposing leader's clock
 * ({@code timestampMillis}) so that time-based decisions (session expiry) are the same on
 * every replica and on replay.
 */
public sealed interface Command permits Command.Write, Command.AssignSlots, Command.Migration {

    long timestampMillis();

    /** One PUT or DEL. A PUT's value is never null; a DEL's is empty. */
    record Op(boolean put, byte[] key, byte[] value) {
        public static Op put(byte[] key, byte[] value) {
            return new Op(true, key, value);
        }

        public static Op delete(byte[] key) {
            return new Op(false, key, new byte[0]);
        }
    }

    /**
     * Writes applied atomically (one op for PUT / DEL, several for a batch), exactly once per
     * session sequence.
     */
    record Write(Session session, long timestampMillis, List<Op> ops) implements Command {
        public Write {
            ops = List.copyOf(ops);
            if (ops.isEmpty()) {
                throw new IllegalArgumentException("a write needs at least one op");
            }
        }
    }

    /** The group takes ownership of these slots, as decided by map version {@code configVersion}. */
    record AssignSlots(long timestampMillis, long configVersion, List<Integer> slots) implements Command {
        public AssignSlots {
            slots = List.copyOf(slots);
        }
    }

    /** A step of a slot migration (DESIGN 5), in the source's or the target's log. */
    record Migration(long timestampMillis, MigrationCommand step) implements Command {
    }

    /**
     * The exactly-once session of a write; client id 0 means none (the write is applied every time
     * it is proposed).
     */
    record Session(long clientId, long sequence, long firstIncomplete) {
        public static final Session NONE = new Session(0, 0, 0);

        public boolean isNone() {
            return clientId == 0;
        }
    }
}

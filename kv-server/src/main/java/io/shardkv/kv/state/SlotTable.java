package io.shardkv.kv.state;

import io.shardkv.common.Slots;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * What a group's log says about each of the 1024 slots (DESIGN 5): whether the group serves it,
 * and where a migration stands. Immutable, so request threads read it without locks while the
 * apply thread replaces it.
 *
 * <ul>
 *   <li>{@link State#OWNED}: served.</li>
 *   <li>{@link State#MIGRATING}: served, and its writes are journaled for the target.</li>
 *   <li>{@link State#FROZEN}: everything for it is refused with SLOT_MIGRATING until the move
 *       commits (then RETIRED) or aborts (then OWNED again).</li>
 *   <li>{@link State#IMPORTING}: being filled by a migration; not served.</li>
 *   <li>{@link State#NONE}: not this group's; {@link #peer} names the owner it was given to,
 *       when it was given away (the route a WRONG_GROUP carries).</li>
 * </ul>
 */
public final class SlotTable {
    public enum State {
        NONE, OWNED, MIGRATING, FROZEN, IMPORTING;

        private static final State[] ALL = values();
    }

    public static final SlotTable NONE = new SlotTable(new byte[Slots.COUNT], new long[Slots.COUNT],
            new long[Slots.COUNT], new long[Slots.COUNT], 0, 0);

    /** First bytes of the encoded form; the first format was a bare version and a bit set. */
    private static final int MAGIC = 0x534C5432; // "SLT2"

    private final byte[] states;
    private final long[] epochs;
    private final long[] migrations;
    private final long[] peers;
    private final long configVersion;
    /**
     * The highest migration id that ended here (activated, retired or aborted). Migration ids only
     * grow, so a PREPARE or BEGIN of an id at or below it is a late copy of a step of a migration
     * that is over, and must not bring it back.
     */
    private final long finishedMigration;

    private SlotTable(byte[] states, long[] epochs, long[] migrations, long[] peers, long configVersion,
                      long finishedMigration) {
        this.states = states;
        this.epochs = epochs;
        this.migrations = migrations;
        this.peers = peers;
        this.configVersion = configVersion;
        this.finishedMigration = finishedMigration;
    }

    public State state(int slot) {
        return State.ALL[states[slot]];
    }

    /** Whether the group answers requests for the slot (OWNED or MIGRATING). */
    public boolean owns(int slot) {
        State s = state(slot);
        return s == State.OWNED || s == State.MIGRATING;
    }

    public long epoch(int slot) {
        return epochs[slot];
    }

    /** The migration the slot takes part in (0 if none). */
    public long migration(int slot) {
        return migrations[slot];
    }

    /** MIGRATING/FROZEN: the target; IMPORTING: the source; NONE: the group it was given to (0 if never). */
    public long peer(int slot) {
        return peers[slot];
    }

    public long finishedMigration() {
        return finishedMigration;
    }

    /** This table with migration {@code id} recorded as ended. */
    SlotTable finished(long id) {
        if (id <= finishedMigration) {
            return this;
        }
        return new SlotTable(states, epochs, migrations, peers, configVersion, id);
    }

    /** The map version of the last ownership change the log recorded. */
    public long configVersion() {
        return configVersion;
    }

    public boolean ownsAll(Collection<Integer> candidates) {
        for (int s : candidates) {
            if (!owns(s)) {
                return false;
            }
        }
        return true;
    }

    /** Served slots in increasing order. */
    public List<Integer> list() {
        List<Integer> out = new ArrayList<>();
        for (int s = 0; s < Slots.COUNT; s++) {
            if (owns(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Number of served slots. */
    public int count() {
        int n = 0;
        for (int s = 0; s < Slots.COUNT; s++) {
            n += owns(s) ? 1 : 0;
        }
        return n;
    }

    /** Slots in {@code state}, in increasing order. */
    public List<Integer> inState(State state) {
        List<Integer> out = new ArrayList<>();
        for (int s = 0; s < Slots.COUNT; s++) {
            if (states[s] == state.ordinal()) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * These slots plus {@code added} (OWNED), at the higher of the two versions. A slot taking part
     * in a migration keeps its state: only a migration's own steps change it.
     */
    SlotTable with(List<Integer> added, long version) {
        SlotTable t = copy(Math.max(configVersion, version));
        for (int s : added) {
            Slots.check(s);
            if (t.states[s] != State.NONE.ordinal() && t.states[s] != State.OWNED.ordinal()) {
                continue;
            }
            t.states[s] = (byte) State.OWNED.ordinal();
            t.migrations[s] = 0;
            t.peers[s] = 0;
        }
        return t;
    }

    /**
     * The slots set to {@code state} for {@code migration} with {@code peer}; {@code epoch} replaces
     * theirs when positive, and {@code version} raises the table's.
     */
    SlotTable set(Collection<Integer> slots, State state, long migration, long peer, long epoch, long version) {
        SlotTable t = copy(Math.max(configVersion, version));
        for (int s : slots) {
            Slots.check(s);
            t.states[s] = (byte) state.ordinal();
            t.migrations[s] = migration;
            t.peers[s] = peer;
            if (epoch > 0) {
                t.epochs[s] = epoch;
            }
        }
        return t;
    }

    private SlotTable copy(long version) {
        return new SlotTable(states.clone(), epochs.clone(), migrations.clone(), peers.clone(), version,
                finishedMigration);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 + Slots.COUNT * (1 + 24) + 8);
        b.putInt(MAGIC).putLong(configVersion).put(states);
        for (int s = 0; s < Slots.COUNT; s++) {
            b.putLong(epochs[s]).putLong(migrations[s]).putLong(peers[s]);
        }
        b.putLong(finishedMigration);
        return b.array();
    }

    static SlotTable decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        if (data.length >= 4 && b.getInt(0) == MAGIC) {
            b.getInt();
            long version = b.getLong();
            byte[] states = new byte[Slots.COUNT];
            b.get(states);
            long[] epochs = new long[Slots.COUNT];
            long[] migrations = new long[Slots.COUNT];
            long[] peers = new long[Slots.COUNT];
            for (int s = 0; s < Slots.COUNT; s++) {
                if (states[s] < 0 || states[s] >= State.ALL.length) {
                    throw new IllegalArgumentException("slot " + s + " has an unknown state " + states[s]);
                }
                epochs[s] = b.getLong();
                migrations[s] = b.getLong();
                peers[s] = b.getLong();
            }
            long finished = b.remaining() >= 8 ? b.getLong() : 0;
            return new SlotTable(states, epochs, migrations, peers, version, finished);
        }
        // The first format: the map version, then the owned slots as a bit set.
        long version = b.getLong();
        byte[] bits = new byte[b.remaining()];
        b.get(bits);
        java.util.BitSet owned = java.util.BitSet.valueOf(bits);
        byte[] states = new byte[Slots.COUNT];
        owned.stream().filter(s -> s < Slots.COUNT).forEach(s -> states[s] = (byte) State.OWNED.ordinal());
        return new SlotTable(states, new long[Slots.COUNT], new long[Slots.COUNT], new long[Slots.COUNT], version, 0);
    }

    @Override
    public String toString() {
        return "SlotTable{v" + configVersion + ", owned " + count() + ", migrating " + inState(State.MIGRATING).size()
                + ", frozen " + inState(State.FROZEN).size() + ", importing " + inState(State.IMPORTING).size() + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SlotTable t && configVersion == t.configVersion && finishedMigration == t.finishedMigration
                && Arrays.equals(states, t.states)
                && Arrays.equals(epochs, t.epochs) && Arrays.equals(migrations, t.migrations)
                && Arrays.equals(peers, t.peers);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(states) * 31 + Long.hashCode(configVersion);
    }
}

package io.shardkv.kv.state;

import io.shardkv.common.Slots;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The slots a group owns as its log says, and the map version of the last assignment.
 * Immutable, so request threads read it without locks while the apply thread replaces it.
 */
public final class OwnedSlots {
    public static final OwnedSlots NONE = new OwnedSlots(new BitSet(Slots.COUNT), 0);

    private final BitSet slots;
    private final long configVersion;

    private OwnedSlots(BitSet slots, long configVersion) {
        this.slots = slots;
        this.configVersion = configVersion;
    }

    public boolean owns(int slot) {
        return slots.get(slot);
    }

    public long configVersion() {
        return configVersion;
    }

    public boolean ownsAll(List<Integer> candidates) {
        for (int s : candidates) {
            if (!slots.get(s)) {
                return false;
            }
        }
        return true;
    }

    /** Owned slots in increasing order. */
    public List<Integer> list() {
        List<Integer> out = new ArrayList<>(slots.cardinality());
        slots.stream().forEach(out::add);
        return out;
    }

    public int count() {
        return slots.cardinality();
    }

    /** These slots plus {@code added}, at the higher of the two versions. */
    OwnedSlots with(List<Integer> added, long version) {
        BitSet copy = (BitSet) slots.clone();
        added.forEach(s -> {
            Slots.check(s);
            copy.set(s);
        });
        return new OwnedSlots(copy, Math.max(configVersion, version));
    }

    byte[] encode() {
        byte[] bits = slots.toByteArray();
        return ByteBuffer.allocate(8 + bits.length).putLong(configVersion).put(bits).array();
    }

    static OwnedSlots decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        long version = b.getLong();
        byte[] bits = new byte[b.remaining()];
        b.get(bits);
        return new OwnedSlots(BitSet.valueOf(bits), version);
    }
}

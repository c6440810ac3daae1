package io.shardkv.client;

import java.util.zip.CRC32C;

/** The key-to-slot hash every module agrees on: {@code CRC32C(key) mod 1024}. */
public final class Slots {
    public static final int SLOT_COUNT = 1024;

    private Slots() {
    }

    /** The slot, 0..1023, that owns {@code key}. */
    public static int slotOf(byte[] key) {
        CRC32C crc = new CRC32C();
        crc.update(key);
        return (int) (crc.getValue() % SLOT_COUNT);
    }
}

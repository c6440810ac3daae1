package io.shardkv.common;

import java.util.zip.CRC32C;

/** The key-to-slot hash every server and client agrees on: {@code CRC32C(key) mod 1024}. */
public final class Slots {
    /** Number of slots; slots are numbered 0..COUNT-1. */
    public static final int COUNT = 1024;

    private Slots() {
    }

    /** The slot, 0..1023, that owns {@code key}. */
    public static int of(byte[] key) {
        CRC32C crc = new CRC32C();
        crc.update(key);
        return (int) (crc.getValue() % COUNT);
    }

    /** @throws IllegalArgumentException unless {@code slot} is in [0, COUNT) */
    public static void check(int slot) {
        if (slot < 0 || slot >= COUNT) {
            throw new IllegalArgumentException("slot " + slot + " is outside [0, " + COUNT + ")");
        }
    }
}

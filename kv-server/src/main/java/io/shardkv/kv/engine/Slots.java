package io.shardkv.kv.engine;

import java.util.zip.CRC32C;

/** The cluster-wide key to slot function: {@code CRC32C(key) mod 1024}. */
public final class Slots {
    /** Number of slots; slots are numbered 0..COUNT-1. */
    public static final int COUNT = 1024;

    private Slots() {
    }

    public static int of(byte[] key) {
        CRC32C c = new CRC32C();
        c.update(key);
        return (int) (c.getValue() % COUNT);
    }

    public static void check(int slot) {
        if (slot < 0 || slot >= COUNT) {
            throw new IllegalArgumentException("slot " + slot + " is outside [0, " + COUNT + ")");
        }
    }
}

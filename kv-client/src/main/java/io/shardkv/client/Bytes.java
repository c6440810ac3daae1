package io.shardkv.client;

import java.util.Arrays;

/** Byte-string order as the servers store keys: unsigned lexicographic. */
final class Bytes {
    private Bytes() {
    }

    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }
}

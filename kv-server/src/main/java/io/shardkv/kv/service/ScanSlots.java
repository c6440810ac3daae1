package io.shardkv.kv.service;

import com.google.protobuf.ByteString;
import io.shardkv.common.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The slot bitmap of a ScanRequest: the slots the client's map says the group owns (bit i of
 * byte i/8, least significant bit first).
 */
final class ScanSlots {
    static final int BYTES = Slots.COUNT / 8;

    private ScanSlots() {
    }

    /** Why the bitmap is malformed, if it is. */
    static Optional<String> check(ByteString bitmap) {
        if (!bitmap.isEmpty() && bitmap.size() != BYTES) {
            return Optional.of("slots must be a bitmap of " + BYTES + " bytes (or empty), got " + bitmap.size());
        }
        if (bitmap.size() == BYTES && decode(bitmap).orElseThrow().isEmpty()) {
            return Optional.of("slots names no slot; leave it empty to scan every slot the group owns");
        }
        return Optional.empty();
    }

    /** The slots of the bitmap in increasing order; empty when the request has none. */
    static Optional<List<Integer>> decode(ByteString bitmap) {
        if (bitmap.size() != BYTES) {
            return Optional.empty();
        }
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < BYTES; i++) {
            int b = bitmap.byteAt(i) & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                if ((b & (1 << bit)) != 0) {
                    slots.add(i * 8 + bit);
                }
            }
        }
        return Optional.of(slots);
    }
}

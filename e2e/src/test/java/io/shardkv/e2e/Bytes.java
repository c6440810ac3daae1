package io.shardkv.e2e;

import io.shardkv.common.Slots;
import java.nio.charset.StandardCharsets;

/** Small conversions the end-to-end tests share. */
final class Bytes {
    private Bytes() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static String string(com.google.protobuf.ByteString b) {
        return b.toStringUtf8();
    }

    /** The slot of a key. */
    static int slot(String key) {
        return Slots.of(utf8(key));
    }
}

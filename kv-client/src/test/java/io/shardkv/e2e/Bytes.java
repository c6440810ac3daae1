package io.shardkv.e2e;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

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

    /** The slot of a key, as DESIGN 3 defines it (CRC32C mod 1024). */
    static int slot(String key) {
        CRC32C crc = new CRC32C();
        crc.update(utf8(key));
        return (int) (crc.getValue() % 1024);
    }
}

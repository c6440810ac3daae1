package io.shardkv.bench.peers;

import java.util.Locale;

/** Byte sizes as people write them: 100, 1k, 1KiB, 4096, 1MiB. */
final class Sizes {
    /** etcd's default request limit is 1.5 MiB; ShardKV's values are smaller still. */
    static final int MAX_BYTES = 1 << 20;

    private Sizes() {
    }

    static int parse(String text) {
        String lower = text.trim().toLowerCase(Locale.ROOT);
        int multiplier = 1;
        String[][] suffixes = {{"mib", "mb", "m"}, {"kib", "kb", "k"}};
        int[] multipliers = {1 << 20, 1 << 10};
        search:
        for (int i = 0; i < suffixes.length; i++) {
            for (String suffix : suffixes[i]) {
                if (lower.endsWith(suffix)) {
                    multiplier = multipliers[i];
                    lower = lower.substring(0, lower.length() - suffix.length());
                    break search;
                }
            }
        }
        if (multiplier == 1 && lower.endsWith("b")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(lower.trim()) * multiplier;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 100, 1k, 1KiB)");
        }
        if (n < 1 || n > MAX_BYTES) {
            throw new IllegalArgumentException("size " + text + " must be 1 B to 1 MiB");
        }
        return (int) n;
    }

    static String format(int bytes) {
        return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }
}

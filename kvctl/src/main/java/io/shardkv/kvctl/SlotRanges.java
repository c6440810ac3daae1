package io.shardkv.kvctl;

import java.util.Collection;
import java.util.TreeSet;

/** Writes a set of slots compactly for status output: {@code 0-341,500,700-701}. */
public final class SlotRanges {
    private SlotRanges() {
    }

    public static String compress(Collection<Integer> slots) {
        if (slots.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder();
        Integer first = null;
        Integer previous = null;
        for (int slot : new TreeSet<>(slots)) {
            if (previous != null && slot == previous + 1) {
                previous = slot;
                continue;
            }
            if (first != null) {
                append(out, first, previous);
            }
            first = slot;
            previous = slot;
        }
        append(out, first, previous);
        return out.toString();
    }

    private static void append(StringBuilder out, int first, int last) {
        if (out.length() > 0) {
            out.append(',');
        }
        out.append(first);
        if (last != first) {
            out.append('-').append(last);
        }
    }
}

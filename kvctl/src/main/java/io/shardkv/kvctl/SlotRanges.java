package io.shardkv.kvctl;

import io.shardkv.common.Slots;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Slot sets as text: {@code 0-341,500,700-701}, written compactly for output and read from arguments. */
public final class SlotRanges {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})(?:-(\\d{1,9}))?");

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

    /**
     * The slots in {@code text}, comma-separated slots and inclusive ranges such as
     * {@code 0-99,512}: sorted, each once.
     *
     * @throws IllegalArgumentException naming the part that is not a slot or range in 0..1023
     */
    public static List<Integer> parse(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("no slots given (examples: 7, 0-99, 0-99,512)");
        }
        TreeSet<Integer> slots = new TreeSet<>();
        for (String part : text.split(",", -1)) {
            Matcher m = PART.matcher(part.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + part.trim() + "' is not a slot or a range of slots"
                        + " (examples: 7, 0-99, 0-99,512)");
            }
            int first = slot(m.group(1));
            int last = m.group(2) == null ? first : slot(m.group(2));
            if (last < first) {
                throw new IllegalArgumentException(
                        "'" + part.trim() + "' is not a range: " + first + " is above " + last);
            }
            for (int slot = first; slot <= last; slot++) {
                slots.add(slot);
            }
        }
        return new ArrayList<>(slots);
    }

    private static int slot(String digits) {
        int slot = Integer.parseInt(digits);
        if (slot >= Slots.COUNT) {
            throw new IllegalArgumentException("slot " + slot + " is outside 0.." + (Slots.COUNT - 1));
        }
        return slot;
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

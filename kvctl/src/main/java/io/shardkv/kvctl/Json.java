package io.shardkv.kvctl;

import java.util.Collection;
import java.util.function.BiConsumer;

/**
 * The pieces kvctl's JSON outputs ({@code slot status} and {@code cluster status} with
 * {@code --output json}) are written with: kvctl has no JSON library on its classpath, and its
 * documents are small and flat enough to write by hand.
 */
final class Json {
    private Json() {
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    static String quote(String text) {
        StringBuilder s = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"':
                    s.append("\\\"");
                    break;
                case '\\':
                    s.append("\\\\");
                    break;
                case '\n':
                    s.append("\\n");
                    break;
                case '\r':
                    s.append("\\r");
                    break;
                case '\t':
                    s.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
            }
        }
        return s.append('"').toString();
    }

    /**
     * Slots as a JSON string of ranges, {@code "0-255,512"} (what {@code slot move} takes), and
     * {@code ""} for none: the tables' {@code -} would not parse as slots.
     */
    static String slots(Collection<Integer> slots) {
        return quote(slots.isEmpty() ? "" : SlotRanges.compress(slots));
    }

    /** {@code [item,item,...]}, each item written by {@code writeItem}. */
    static <T> void array(StringBuilder out, Collection<T> items, BiConsumer<StringBuilder, T> writeItem) {
        out.append('[');
        boolean first = true;
        for (T item : items) {
            if (!first) {
                out.append(',');
            }
            first = false;
            writeItem.accept(out, item);
        }
        out.append(']');
    }
}

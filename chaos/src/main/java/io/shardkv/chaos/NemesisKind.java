package io.shardkv.chaos;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What the nemesis may do; {@code --nemesis} names them in lower case. */
enum NemesisKind {
    /** Network cuts: random halves, one server isolated, a bridge, one-way drops. */
    PARTITION,
    /** kill -9 of one server, restarted on its data when the fault ends. */
    KILL,
    /** SIGSTOP of one server, SIGCONT when the fault ends. */
    PAUSE,
    /** A slot move (MoveSlots) of a checked key's slot, started while a fault is on. */
    MOVE,
    /** A replica added to or removed from a group, started while a fault is on. */
    MEMBER;

    /** True for the kinds that are faults, as opposed to changes made during faults. */
    boolean isFault() {
        return this == PARTITION || this == KILL || this == PAUSE;
    }

    /** Parses {@code partition,kill,pause}; throws IllegalArgumentException naming a bad one. */
    static Set<NemesisKind> parse(String list) {
        Set<NemesisKind> kinds = EnumSet.noneOf(NemesisKind.class);
        for (String part : list.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            try {
                kinds.add(valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown nemesis '" + name + "' (known: partition, kill, pause, move,"
                        + " member)");
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no nemesis given (known: partition, kill, pause, move, member)");
        }
        return kinds;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

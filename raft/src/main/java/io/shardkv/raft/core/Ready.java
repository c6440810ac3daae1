package io.shardkv.raft.core;

import java.util.List;

/**
 * Everything the core needs its owner to do, in the order the owner must do it:
 * <ol>
 *   <li>Persist {@code hardState} (if non-null), {@code entries} (appending, and truncating any
 *       stored suffix from the first entry's index) and install {@code snapshot} (if non-null),
 *       as one durable write.</li>
 *   <li>Only then send {@code messages}: votes and acknowledgements in them promise that the
 *       state above is durable.</li>
 *   <li>Apply {@code committedEntries} to the state machine in order (a snapshot in the same
 *       Ready is applied before them).</li>
 *   <li>Answer {@code readStates} once the state machine has applied their index.</li>
 *   <li>Call {@link RawNode#advance(Ready)} with this Ready.</li>
 * </ol>
 * {@code softState} is informational and non-null only when leader or role changed.
 */
public record Ready(SoftState softState, HardState hardState, List<Entry> entries, Snapshot snapshot,
                    List<Message> messages, List<Entry> committedEntries, List<ReadState> readStates) {

    public Ready {
        entries = List.copyOf(entries);
        messages = List.copyOf(messages);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
    }

    /** Whether persisting this Ready needs an fsync (anything durable changed). */
    public boolean mustSync() {
        return hardState != null || !entries.isEmpty() || snapshot != null;
    }
}

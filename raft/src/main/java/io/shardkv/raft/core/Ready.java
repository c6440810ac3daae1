package io.shardkv.raft.core;

import java.util.List;

/**
 * Everything the core needs its owner to do, in the order the owner must do it:
 * <ol>
 *   <li>It may send {@link #messagesBeforePersist()} at once, while the write below is under way
 *       (Raft thesis 10.2.1: a leader writes its log in parallel with replicating it). These are a
 *       leader's appends and heartbeats, which promise nothing about this Ready's durable state;
 *       the core hands out none when this Ready changes the term or the vote, or when the commit
 *       index they carry reaches past what is already durable here.</li>
 *   <li>Persist {@code hardState} (if non-null), {@code entries} (appending, and truncating any
 *       stored suffix from the first entry's index) and install {@code snapshot} (if non-null),
 *       as one durable write.</li>
 *   <li>Only then send {@link #messagesAfterPersist()}: votes and acknowledgements in them promise
 *       that the state above is durable. An owner that does not send early sends all of
 *       {@code messages} here.</li>
 *   <li>Apply {@code committedEntries} to the state machine in order (a snapshot in the same
 *       Ready is applied before them).</li>
 *   <li>Answer {@code readStates} once the state machine has applied their index.</li>
 *   <li>Call {@link RawNode#advance(Ready)} with this Ready.</li>
 * </ol>
 * {@code softState} is informational and non-null only when leader or role changed.
 */
public record Ready(SoftState softState, HardState hardState, List<Entry> entries, Snapshot snapshot,
                    List<Message> messages, int sendableBeforePersist, List<Entry> committedEntries,
                    List<ReadState> readStates, boolean mustSync) {

    /**
     * @param messages              every message to send, those that may go before the write first
     * @param sendableBeforePersist how many of {@code messages}, from the first, may be sent before
     *                              the write
     * @param mustSync              whether the write must be synced before anything after it in
     *                              the list above: false when it only moves the commit index,
     *                              which Raft keeps as volatile state (thesis 3.8; etcd's
     *                              MustSync): losing it in a power cut loses nothing, as the leader
     *                              tells it again. Entries, a snapshot, a new term or vote always
     *                              need the sync.
     */
    public Ready {
        entries = List.copyOf(entries);
        messages = List.copyOf(messages);
        if (sendableBeforePersist < 0 || sendableBeforePersist > messages.size()) {
            throw new IllegalArgumentException(sendableBeforePersist + " of " + messages.size()
                    + " messages cannot be sendable before the write");
        }
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
        if (!mustSync && (!entries.isEmpty() || snapshot != null)) {
            throw new IllegalArgumentException("entries and snapshots must be synced");
        }
    }

    /** A Ready that syncs whatever it persists. */
    public Ready(SoftState softState, HardState hardState, List<Entry> entries, Snapshot snapshot,
                 List<Message> messages, int sendableBeforePersist, List<Entry> committedEntries,
                 List<ReadState> readStates) {
        this(softState, hardState, entries, snapshot, messages, sendableBeforePersist, committedEntries, readStates,
                hardState != null || !entries.isEmpty() || snapshot != null);
    }

    /** A Ready whose messages all wait for the write, and that syncs whatever it persists. */
    public Ready(SoftState softState, HardState hardState, List<Entry> entries, Snapshot snapshot,
                 List<Message> messages, List<Entry> committedEntries, List<ReadState> readStates) {
        this(softState, hardState, entries, snapshot, messages, 0, committedEntries, readStates);
    }

    /** Messages the owner may send before (or while) it persists this Ready. */
    public List<Message> messagesBeforePersist() {
        return messages.subList(0, sendableBeforePersist);
    }

    /** Messages the owner must send only once this Ready is durable. */
    public List<Message> messagesAfterPersist() {
        return messages.subList(sendableBeforePersist, messages.size());
    }
}

package io.shardkv.raft.storage;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Ready;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one poller cycle must make durable for many groups: entries to append, hard states, and
 * snapshots that replace a group's log. {@link RocksLogEngine#write(LogBatch)} turns it into ONE
 * RocksDB write batch with ONE fsync, however many groups and entries it holds.
 *
 * <p>Per group the batch keeps the combined effect of what was added, applied in this order at
 * write time: the snapshot install (if any), then the entries, then the hard state. Adding to the
 * same group again merges: later entries replace pending ones from their first index on (the
 * same rule as the log itself), a later hard state replaces an earlier one, and a snapshot
 * install drops the entries added before it.
 *
 * <p>A batch belongs to one thread (its poller) and can be reused: a write empties it.
 */
public final class LogBatch {
    private final Map<Long, GroupWrite> writes = new LinkedHashMap<>();
    /** Whether anything added must be durable before the write returns (see {@link #needsSync}). */
    private boolean needsSync;

    /**
     * Appends {@code entries} to the group's log, replacing any stored entries from the first
     * entry's index on (the conflicting suffix a new leader overwrote).
     *
     * @throws IllegalArgumentException if the entries are not contiguous
     */
    public LogBatch append(long groupId, List<Entry> entries) {
        if (entries.isEmpty()) {
            return this;
        }
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).index() != entries.get(i - 1).index() + 1) {
                throw new IllegalArgumentException("group " + groupId + ": entry " + entries.get(i).index()
                        + " follows entry " + entries.get(i - 1).index());
            }
        }
        writeFor(groupId).append(entries);
        needsSync = true;
        return this;
    }

    /** Persists {@code hardState} as the group's hard state. */
    public LogBatch setHardState(long groupId, HardState hardState) {
        if (hardState == null) {
            throw new IllegalArgumentException("group " + groupId + ": hard state is null");
        }
        writeFor(groupId).hardState = hardState;
        needsSync = true;
        return this;
    }

    /**
     * Replaces the group's whole log with a snapshot point: every stored entry is deleted, the log
     * continues after {@code metadata.index()}, whose term is kept, and {@code metadata.confState()}
     * becomes the membership at that point. {@code data}, the state machine's image, is kept with
     * it (see {@link RocksLogEngine#installedSnapshot}) until the next install or compaction; null keeps none.
     */
    public LogBatch installSnapshot(long groupId, SnapshotMetadata metadata, byte[] data) {
        if (metadata == null) {
            throw new IllegalArgumentException("group " + groupId + ": snapshot metadata is null");
        }
        GroupWrite w = writeFor(groupId);
        w.snapshot = metadata;
        w.snapshotData = data;
        w.entries.clear();
        needsSync = true;
        return this;
    }

    /** A snapshot point without the state machine's image (tests of the log alone). */
    public LogBatch installSnapshot(long groupId, SnapshotMetadata metadata) {
        return installSnapshot(groupId, metadata, null);
    }

    /**
     * Adds what a group's {@link Ready} asks to persist: its snapshot, entries and hard state. A
     * Ready that only moves the commit index ({@link Ready#mustSync()} false) does not make the
     * batch need a sync.
     */
    public LogBatch add(long groupId, Ready ready) {
        boolean before = needsSync;
        if (ready.snapshot() != null) {
            installSnapshot(groupId, ready.snapshot().metadata(), ready.snapshot().data());
        }
        append(groupId, ready.entries());
        if (ready.hardState() != null) {
            setHardState(groupId, ready.hardState());
        }
        needsSync = before || ready.mustSync();
        return this;
    }

    /**
     * Whether the write must be synced: it holds entries, a snapshot, or a hard state that is
     * not just a Ready's new commit index. The commit index is volatile in Raft (thesis 3.8): a
     * replica that loses it in a power cut learns it again from the leader, and a state machine
     * found ahead of it after a restart raises it (see {@code Raft}'s constructor).
     */
    public boolean needsSync() {
        return needsSync;
    }

    /** Whether nothing was added since the batch was created, cleared or written. */
    public boolean isEmpty() {
        return writes.isEmpty();
    }

    /** The number of groups with something to write. */
    public int groupCount() {
        return writes.size();
    }

    /** Drops everything added, as after a write. */
    public void clear() {
        writes.clear();
        needsSync = false;
    }

    Collection<GroupWrite> writes() {
        return writes.values();
    }

    private GroupWrite writeFor(long groupId) {
        LogKeys.checkGroupId(groupId);
        return writes.computeIfAbsent(groupId, GroupWrite::new);
    }

    /** The combined writes of one group in a batch. */
    static final class GroupWrite {
        final long groupId;
        /** The snapshot to install before the entries; null if none. */
        SnapshotMetadata snapshot;
        /** The state machine's image at {@link #snapshot}; null if not kept. */
        byte[] snapshotData;
        /** Contiguous entries to append after the snapshot (if any); may be empty. */
        final List<Entry> entries = new ArrayList<>();
        /** The hard state to persist last; null if unchanged. */
        HardState hardState;

        GroupWrite(long groupId) {
            this.groupId = groupId;
        }

        void append(List<Entry> more) {
            long first = more.get(0).index();
            if (!entries.isEmpty()) {
                long pendingFirst = entries.get(0).index();
                long pendingLast = entries.get(entries.size() - 1).index();
                if (first > pendingLast + 1) {
                    throw new IllegalStateException("group " + groupId + ": append at " + first
                            + " leaves a gap after pending entry " + pendingLast);
                }
                // Drop pending entries from `first` on (all of them when `first` precedes them),
                // just as the stored log drops a conflicting suffix.
                int keep = (int) Math.max(0, first - pendingFirst);
                entries.subList(keep, entries.size()).clear();
            }
            entries.addAll(more);
        }
    }
}

package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A {@link LogEngine} in memory, for the runtime simulation only. Its {@link Disk} is what
 * survives a simulated crash: every write reaches it whole or not at all, as a synced RocksDB
 * batch does. A crash point (see {@link #setBeforeWrite}) may end the process just before a
 * write, which is then lost. After a crash the server reopens the disk with a new engine; the
 * old engine and its logs refuse all use, so a zombie of the dead process cannot write.
 *
 * <p>It checks what {@link RocksLogEngine} checks (appends leaving gaps, old snapshots, commits
 * beyond the log, compaction bounds) with the same exceptions, so a runtime bug shows the same.
 */
public final class MemoryLogEngine implements LogEngine {

    /** One group's durable log. */
    private static final class Stored {
        GroupLogMeta meta;
        final TreeMap<Long, Entry> entries = new TreeMap<>();
        /** The data of the last installed snapshot, with its index and term; null if none kept. */
        Snapshot kept;
        /** Entries appended since the disk was made, and their bytes: what the average entry size comes from. */
        long appendedEntries;
        long appendedBytes;
        /** The commit index as of the last synced write; a crash takes the group back to it. */
        long syncedCommit;

        Stored(GroupLogMeta meta) {
            this.meta = meta;
        }
    }

    /** What a server's log holds across crashes. */
    public static final class Disk {
        private final TreeMap<Long, Stored> groups = new TreeMap<>();
    }

    private final Disk disk;
    private final Map<Long, MemoryGroupLog> open = new TreeMap<>();
    private Consumer<String> beforeWrite = what -> { };
    private boolean dead;

    /** Opens {@code disk} as it was left by the last write (a fresh server: a new Disk). */
    public MemoryLogEngine(Disk disk) {
        this.disk = disk;
        disk.groups.keySet().forEach(id -> open.put(id, new MemoryGroupLog(id)));
    }

    /**
     * Runs before every write, with what it writes: a crash point throws there, and the write
     * does not happen.
     */
    public void setBeforeWrite(Consumer<String> hook) {
        this.beforeWrite = hook;
    }

    /**
     * The process died: this engine and its logs refuse all use from now on, and the disk loses
     * what was written without a sync (commit indexes: {@link LogBatch#needsSync()}), as in a
     * power cut.
     */
    public void kill() {
        dead = true;
        for (Stored s : disk.groups.values()) {
            HardState hs = s.meta.hardState();
            if (hs.commit() > s.syncedCommit) {
                s.meta = s.meta.withState(s.meta.state().withHardState(
                        new HardState(hs.term(), hs.vote(), s.syncedCommit)));
            }
        }
    }

    private void checkAlive() {
        if (dead) {
            throw new IllegalStateException("the log engine of a crashed server was used");
        }
    }

    private Stored stored(long groupId) {
        checkAlive();
        Stored s = disk.groups.get(groupId);
        if (s == null || !open.containsKey(groupId)) {
            throw new IllegalStateException("group " + groupId + " does not exist in the log engine");
        }
        return s;
    }

    private void durably(String what, Runnable change) {
        written(what, change, true);
    }

    /**
     * Makes {@code change}, which survives a crash if {@code synced}: a synced write syncs the
     * WAL, and with it every write before it, of every group.
     */
    private void written(String what, Runnable change, boolean synced) {
        checkAlive();
        beforeWrite.accept(what);
        change.run();
        if (synced) {
            for (Stored s : disk.groups.values()) {
                s.syncedCommit = s.meta.hardState().commit();
            }
        }
    }

    @Override
    public GroupLog createGroup(long groupId, ConfState initialMembers) {
        checkAlive();
        LogKeys.checkGroupId(groupId);
        if (disk.groups.containsKey(groupId)) {
            throw new IllegalStateException("group " + groupId + " already exists");
        }
        durably("create group " + groupId, () ->
                disk.groups.put(groupId, new Stored(GroupLogMeta.emptyLog(GroupState.bootstrap(initialMembers)))));
        MemoryGroupLog log = new MemoryGroupLog(groupId);
        open.put(groupId, log);
        return log;
    }

    @Override
    public Optional<MemoryGroupLog> group(long groupId) {
        checkAlive();
        return Optional.ofNullable(open.get(groupId));
    }

    @Override
    public List<Long> groupIds() {
        checkAlive();
        return new ArrayList<>(open.keySet());
    }

    @Override
    public void destroyGroup(long groupId) {
        stored(groupId);
        durably("destroy group " + groupId, () -> disk.groups.remove(groupId));
        open.remove(groupId).destroyed = true;
    }

    @Override
    public GroupLog resetGroup(long groupId) {
        Stored s = stored(groupId);
        HardState hs = s.meta.hardState();
        GroupState state = GroupState.bootstrap(ConfState.EMPTY).withHardState(new HardState(hs.term(), hs.vote(), 0));
        durably("reset group " + groupId, () -> disk.groups.put(groupId, new Stored(GroupLogMeta.emptyLog(state))));
        open.remove(groupId).destroyed = true;
        MemoryGroupLog fresh = new MemoryGroupLog(groupId);
        open.put(groupId, fresh);
        return fresh;
    }

    @Override
    public Optional<Snapshot> installedSnapshot(long groupId) {
        Stored s = stored(groupId);
        if (s.kept == null || s.kept.index() != s.meta.firstIndex() - 1) {
            return Optional.empty();
        }
        return Optional.of(new Snapshot(new SnapshotMetadata(s.kept.index(), s.kept.term(),
                s.meta.state().confState()), s.kept.data()));
    }

    @Override
    public Map<Long, byte[]> keptSnapshotData() {
        checkAlive();
        Map<Long, byte[]> data = new TreeMap<>();
        disk.groups.forEach((id, s) -> {
            if (s.kept != null) {
                data.put(id, s.kept.data());
            }
        });
        return data;
    }

    @Override
    public void write(LogBatch batch) {
        checkAlive();
        try {
            if (batch.isEmpty()) {
                return;
            }
            // Plan every group first: a write that does not fit any group's log changes nothing.
            List<Runnable> changes = new ArrayList<>();
            StringBuilder what = new StringBuilder("log write of groups");
            for (LogBatch.GroupWrite w : batch.writes()) {
                changes.add(plan(w, stored(w.groupId)));
                what.append(' ').append(w.groupId);
            }
            written(what.toString(), () -> changes.forEach(Runnable::run), batch.needsSync());
        } finally {
            batch.clear();
        }
    }

    private static Runnable plan(LogBatch.GroupWrite w, Stored s) {
        long groupId = w.groupId;
        GroupLogMeta m = s.meta;
        boolean install = w.snapshot != null;
        if (install) {
            m = m.afterInstall(groupId, w.snapshot);
        }
        List<Entry> entries = List.copyOf(w.entries);
        long truncateAfter = entries.isEmpty() ? Long.MAX_VALUE : entries.get(0).index() - 1;
        m = m.afterAppend(groupId, entries);
        if (w.hardState != null) {
            m = m.withState(m.state().withHardState(w.hardState));
        }
        m.checkCommitWithinLog(groupId);
        GroupLogMeta next = m;
        Snapshot kept = install && w.snapshotData != null ? new Snapshot(w.snapshot, w.snapshotData) : null;
        long cut = truncateAfter;
        return () -> {
            if (install) {
                s.entries.clear();
                s.kept = kept;
            }
            if (cut != Long.MAX_VALUE) {
                s.entries.tailMap(cut, false).clear();
                for (Entry e : entries) {
                    s.entries.put(e.index(), e);
                    s.appendedEntries++;
                    s.appendedBytes += 32 + e.data().length;
                }
            }
            s.meta = next;
        };
    }

    @Override
    public void compact(long groupId, long index) {
        Stored s = stored(groupId);
        GroupLogMeta m = s.meta;
        if (index < m.firstIndex() || index > m.lastIndex()) {
            throw new IllegalArgumentException("group " + groupId + ": cannot compact to " + index
                    + ", outside the log [" + m.firstIndex() + "," + m.lastIndex() + "]");
        }
        if (index > m.hardState().commit()) {
            throw new IllegalArgumentException("group " + groupId + ": cannot compact to " + index
                    + ", beyond the persisted commit index " + m.hardState().commit());
        }
        MemoryGroupLog log = open.get(groupId);
        ConfState confState = ConfStateReplay.replay(groupId, log, m.state().confState(), m.firstIndex(), index);
        long term = s.entries.get(index).term();
        GroupLogMeta next = m.withState(m.state().withTruncation(index, term, confState));
        durably("compaction of group " + groupId + " to " + index, () -> {
            s.entries.headMap(index, true).clear();
            s.kept = null;
            s.meta = next;
        });
    }

    /** A group's log as its core reads it, straight from the disk. */
    public final class MemoryGroupLog implements GroupLog {
        private final long groupId;
        private SnapshotSource snapshotSource = SnapshotSource.NONE;
        private boolean destroyed;

        MemoryGroupLog(long groupId) {
            this.groupId = groupId;
        }

        private Stored s() {
            if (destroyed) {
                throw new IllegalStateException("group " + groupId + " was destroyed");
            }
            return stored(groupId);
        }

        @Override
        public long groupId() {
            return groupId;
        }

        @Override
        public InitialState initialState() {
            GroupLogMeta m = s().meta;
            return new InitialState(m.hardState(), m.state().confState());
        }

        @Override
        public List<Entry> entries(long lo, long hi, long maxBytes) {
            Stored s = s();
            if (lo < s.meta.firstIndex() || hi > s.meta.lastIndex() + 1 || lo > hi) {
                throw new IllegalArgumentException("group " + groupId + ": entries [" + lo + "," + hi
                        + ") outside the log [" + s.meta.firstIndex() + "," + s.meta.lastIndex() + "]");
            }
            List<Entry> out = new ArrayList<>();
            long bytes = 0;
            for (long i = lo; i < hi; i++) {
                Entry e = s.entries.get(i);
                if (e == null) {
                    throw new IllegalStateException("group " + groupId + ": entry " + i + " is missing");
                }
                bytes += e.data().length;
                if (!out.isEmpty() && bytes > maxBytes) {
                    break;
                }
                out.add(e);
            }
            return out;
        }

        @Override
        public long term(long index) {
            Stored s = s();
            if (index == s.meta.truncatedIndex()) {
                return s.meta.state().truncatedTerm();
            }
            Entry e = s.entries.get(index);
            if (e == null) {
                throw new IllegalArgumentException("group " + groupId + ": no term for index " + index
                        + " outside the log [" + s.meta.firstIndex() + "," + s.meta.lastIndex() + "]");
            }
            return e.term();
        }

        @Override
        public long firstIndex() {
            return s().meta.firstIndex();
        }

        @Override
        public long lastIndex() {
            return s().meta.lastIndex();
        }

        @Override
        public SnapshotResult snapshot(long requestIndex) {
            return SnapshotSource.answer(snapshotSource, groupId, requestIndex, firstIndex());
        }

        @Override
        public long averageEntryBytes() {
            Stored s = s();
            return s.appendedEntries == 0 ? 0 : Math.max(1, s.appendedBytes / s.appendedEntries);
        }

        @Override
        public void setSnapshotSource(SnapshotSource source) {
            if (source == null) {
                throw new IllegalArgumentException("group " + groupId + ": snapshot source is null");
            }
            this.snapshotSource = source;
        }
    }
}

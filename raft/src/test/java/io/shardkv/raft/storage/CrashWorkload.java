package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A deterministic stream of log writes for several groups, shaped like what Raft asks of its
 * storage: appends in the current term, suffix truncations above the commit index by a new
 * term's leader, hard-state updates, snapshot installs for a follower far behind, and compactions
 * below the commit index.
 *
 * <p>The crash test's child process writes these steps to a real engine; the parent recomputes
 * the same steps from the same seed on {@link MemoryLogStorage} models, so it knows exactly what
 * the engine must hold after any step. {@link #next()} depends only on the seed and the steps
 * applied so far.
 */
final class CrashWorkload {
    static final ConfState MEMBERS = ConfState.ofVoters(1L, 2L, 3L);
    /** Includes a large id so the key ranges of distant groups are exercised too. */
    static final long[] GROUP_IDS = {1, 2, 3, 4, 5, 1L << 33};

    /** One step: either a batch of writes for several groups or the compaction of one group. */
    sealed interface Step permits Batch, Compact {
        long seq();
    }

    /** What one group writes in a batch, applied in this order: snapshot, entries, hard state. */
    record GroupWrite(long groupId, SnapshotMetadata snapshot, List<Entry> entries, HardState hardState) {
    }

    record Batch(long seq, List<GroupWrite> writes) implements Step {
    }

    record Compact(long seq, long groupId, long index) implements Step {
    }

    private final Random random;
    private final Map<Long, MemoryLogStorage> model = new TreeMap<>();
    /** The number of steps applied. */
    private long seq;

    CrashWorkload(long seed) {
        this.random = new Random(seed);
        for (long g : GROUP_IDS) {
            model.put(g, MemoryLogStorage.withMembership(MEMBERS));
        }
    }

    long seq() {
        return seq;
    }

    /** The expected logs after the steps applied so far. */
    Map<Long, MemoryLogStorage> model() {
        return model;
    }

    /** Applies steps to the model (only) until {@code target} steps have been applied. */
    void advanceTo(long target) {
        while (seq < target) {
            apply(next());
        }
    }

    /** The step after the ones applied; call {@link #apply(Step)} with it before asking again. */
    Step next() {
        long s = seq + 1;
        if (random.nextInt(100) < 8) {
            List<Long> compactable = new ArrayList<>();
            for (Map.Entry<Long, MemoryLogStorage> e : model.entrySet()) {
                if (e.getValue().hardState().commit() >= e.getValue().firstIndex()) {
                    compactable.add(e.getKey());
                }
            }
            if (!compactable.isEmpty()) {
                long g = compactable.get(random.nextInt(compactable.size()));
                MemoryLogStorage m = model.get(g);
                long first = m.firstIndex();
                long commit = m.hardState().commit();
                return new Compact(s, g, first + (long) random.nextInt((int) (commit - first + 1)));
            }
        }
        List<GroupWrite> writes = new ArrayList<>();
        for (long g : GROUP_IDS) {
            if (random.nextBoolean()) {
                writes.add(groupWrite(g, model.get(g)));
            }
        }
        if (writes.isEmpty()) {
            writes.add(groupWrite(GROUP_IDS[0], model.get(GROUP_IDS[0])));
        }
        return new Batch(s, writes);
    }

    private GroupWrite groupWrite(long g, MemoryLogStorage m) {
        HardState hs = m.hardState();
        long last = m.lastIndex();
        long commit = hs.commit();
        long term = Math.max(Math.max(hs.term(), m.term(last)), 1);
        int r = random.nextInt(100);
        if (r < 65) {
            List<Entry> appended = newEntries(last + 1, 1 + random.nextInt(8), term);
            long newLast = last + appended.size();
            long newCommit = commit + random.nextInt((int) (newLast - commit + 1));
            return new GroupWrite(g, null, appended, new HardState(term, hs.vote(), newCommit));
        }
        if (r < 80 && last > commit) {
            // A new leader overwrites the uncommitted suffix from p on.
            long p = commit + 1 + random.nextInt((int) (last - commit));
            long newTerm = term + 1;
            return new GroupWrite(g, null, newEntries(p, 1 + random.nextInt(6), newTerm),
                    new HardState(newTerm, 1 + random.nextInt(3), commit));
        }
        if (r < 96) {
            long newCommit = commit + random.nextInt((int) (last - commit + 1));
            boolean newTerm = random.nextInt(5) == 0;
            return new GroupWrite(g, null, List.of(),
                    new HardState(newTerm ? term + 1 : term, newTerm ? 0 : hs.vote(), newCommit));
        }
        long index = last + 1 + random.nextInt(30);
        return new GroupWrite(g, new SnapshotMetadata(index, term, MEMBERS), List.of(),
                new HardState(term, hs.vote(), index));
    }

    private List<Entry> newEntries(long from, int count, long term) {
        List<Entry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int size = random.nextInt(20) == 0 ? 2_000 + random.nextInt(3_000) : random.nextInt(200);
            byte[] data = new byte[size];
            random.nextBytes(data);
            out.add(Entry.normal(term, from + i, data));
        }
        return out;
    }

    /** Applies a step to the model; the engine gets the same step from the child. */
    void apply(Step step) {
        if (step.seq() != seq + 1) {
            throw new IllegalStateException("step " + step.seq() + " applied after step " + seq);
        }
        if (step instanceof Batch b) {
            for (GroupWrite w : b.writes()) {
                MemoryLogStorage m = model.get(w.groupId());
                if (w.snapshot() != null) {
                    m.applySnapshot(new Snapshot(w.snapshot(), new byte[0]));
                }
                m.append(w.entries());
                if (w.hardState() != null) {
                    m.setHardState(w.hardState());
                }
            }
        } else if (step instanceof Compact c) {
            model.get(c.groupId()).compact(c.index());
        }
        seq++;
    }

    /** The same step as one engine write. */
    static void applyTo(RocksLogEngine engine, Step step) {
        if (step instanceof Batch b) {
            LogBatch batch = new LogBatch();
            for (GroupWrite w : b.writes()) {
                if (w.snapshot() != null) {
                    batch.installSnapshot(w.groupId(), w.snapshot());
                }
                batch.append(w.groupId(), w.entries());
                if (w.hardState() != null) {
                    batch.setHardState(w.groupId(), w.hardState());
                }
            }
            engine.write(batch);
        } else if (step instanceof Compact c) {
            engine.compact(c.groupId(), c.index());
        }
    }

    /** Per group {@code id:first:last:lastTerm:commit}, the state an "acked" line reports. */
    String summary() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Long, MemoryLogStorage> e : model.entrySet()) {
            MemoryLogStorage m = e.getValue();
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(e.getKey()).append(':').append(m.firstIndex()).append(':').append(m.lastIndex()).append(':')
                    .append(m.term(m.lastIndex())).append(':').append(m.hardState().commit());
        }
        return sb.toString();
    }
}

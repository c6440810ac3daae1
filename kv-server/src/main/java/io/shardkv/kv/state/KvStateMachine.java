package io.shardkv.kv.state;

import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import io.shardkv.kv.engine.ScanPage;
import io.shardkv.kv.engine.SlotMergeScan;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.SnapshotFileInfo;
import io.shardkv.raft.runtime.SnapshotImage;
import io.shardkv.raft.runtime.StateMachine;
import io.shardkv.raft.snapshot.SnapshotFiles;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.kv.proto.MigrationRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One group's replica of the KV state, in the server's shared {@link KvEngine}. The raft
 * runtime calls {@link #apply}, {@link #captureImage} and {@link #restore} on one apply thread
 * at a time; request threads call the read methods concurrently (RocksDB reads are safe, and
 * the owned-slot view is an immutable object behind a volatile field).
 *
 * <p>Every apply writes the data, the client sessions, the slot table and the apply state in
 * one {@link WriteBatch}, so a replay after a crash starts exactly after the last applied
 * entry. Batches are written without fsync; every {@code walSyncEveryEntries} entries the WAL
 * is synced and the durable applied index advances, which is what the log may be compacted to.
 */
public final class KvStateMachine implements StateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);
    private static final byte[] NO_RESULT = new byte[0];
    private static final byte[] TOMBSTONE = ApplyContext.TOMBSTONE;

    private final long groupId;
    private final KvEngine engine;
    private final StateMachineSettings settings;

    // Apply-thread state. Invariant: equals what the database holds after the last write.
    private ApplyState applyState;
    private SessionTable sessions;
    private MigrationApplier migrationApplier;
    private long unsyncedEntries;

    private volatile SlotTable owned;
    /** The group's migration records; replaced, never changed, so request threads read it freely. */
    private volatile Map<Long, MigrationRecord> migrations = Map.of();
    private volatile boolean closed;
    private volatile long durableIndex;
    private volatile long appliedIndex;

    private KvStateMachine(long groupId, KvEngine engine, StateMachineSettings settings) {
        this.groupId = groupId;
        this.engine = engine;
        this.settings = settings;
    }

    /** Loads a group's state from the engine; an absent group starts empty. */
    public static KvStateMachine open(long groupId, KvEngine engine, StateMachineSettings settings) {
        KvStateMachine sm = new KvStateMachine(groupId, engine, settings);
        sm.load();
        return sm;
    }

    private void load() {
        byte[] a = engine.get(KvKeys.apply(groupId));
        applyState = a == null ? ApplyState.EMPTY : ApplyState.decode(a);
        byte[] s = engine.get(KvKeys.slots(groupId));
        owned = s == null ? SlotTable.NONE : SlotTable.decode(s);
        sessions = SessionTable.load(engine, groupId, settings.maxSessions());
        migrationApplier = new MigrationApplier(groupId, sessions);
        migrations = loadMigrations();
        durableIndex = applyState.index();
        appliedIndex = applyState.index();
        unsyncedEntries = 0;
    }

    private Map<Long, MigrationRecord> loadMigrations() {
        Map<Long, MigrationRecord> out = new HashMap<>();
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            byte[] end = KvKeys.groupEnd(KvKeys.MIGRATION, groupId);
            for (it.seek(KvKeys.groupStart(KvKeys.MIGRATION, groupId)); it.isValid()
                    && KvKeys.compare(it.key(), end) < 0; it.next()) {
                MigrationRecord r = MigrationRecord.parseFrom(it.value());
                out.put(r.getMigrationId(), r);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("group " + groupId + ": a stored migration record is unreadable", e);
        }
        return out;
    }

    /**
     * Stops writing: waits for an apply in progress, then refuses further ones, so that a
     * destroyed replica's keys can be deleted without an apply writing them back.
     */
    public synchronized void close() {
        closed = true;
    }

    /** Whether the replica was closed (it is being or has been destroyed): reads of it are void. */
    public boolean isClosed() {
        return closed;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("group " + groupId + ": state machine closed");
        }
    }

    public long groupId() {
        return groupId;
    }

    // ------------------------------------------------------------------ apply

    @Override
    public synchronized List<byte[]> apply(List<Entry> committed) {
        requireOpen();
        List<byte[]> results = new ArrayList<>(committed.size());
        try (WriteBatch batch = new WriteBatch()) {
            ApplyContext ctx = new ApplyContext(batch, applyState.clockMillis(), owned, migrations);
            for (Entry e : committed) {
                if (e.type() == EntryType.NORMAL && e.data().length > 0) {
                    results.add(applyCommand(CommandCodec.decode(e.data()), ctx));
                } else {
                    results.add(NO_RESULT);
                }
                if (e.index() % settings.sessionSweepEveryEntries() == 0) {
                    sessions.expire(ctx.clock, settings.sessionTtlMillis(), batch, ctx.dirtySessions::remove);
                }
            }
            Entry last = committed.get(committed.size() - 1);
            ApplyState next = new ApplyState(last.index(), last.term(), ctx.clock);
            for (Long clientId : ctx.dirtySessions) {
                sessions.putSession(clientId, sessions.get(clientId), batch);
            }
            if (ctx.slots != owned) {
                batch.put(KvKeys.slots(groupId), ctx.slots.encode());
            }
            for (Map.Entry<Long, MigrationRecord> m : ctx.changedMigrations.entrySet()) {
                if (m.getValue() == null) {
                    batch.delete(KvKeys.migration(groupId, m.getKey()));
                } else {
                    batch.put(KvKeys.migration(groupId, m.getKey()), m.getValue().toByteArray());
                }
            }
            batch.put(KvKeys.apply(groupId), next.encode());
            engine.write(batch, false);
            applyState = next;
            owned = ctx.slots;
            if (ctx.migrationsChanged()) {
                migrations = ctx.migrations;
            }
            appliedIndex = next.index();
        } catch (RocksDBException e) {
            throw new IllegalStateException("group " + groupId + ": cannot build the apply batch", e);
        }
        unsyncedEntries += committed.size();
        if (unsyncedEntries >= settings.walSyncEveryEntries()) {
            syncNow();
        }
        return results;
    }

    /** Makes everything applied so far durable and reports it as such. */
    public synchronized void syncNow() {
        engine.syncWal();
        unsyncedEntries = 0;
        durableIndex = applyState.index();
    }

    private byte[] applyCommand(Command command, ApplyContext ctx) throws RocksDBException {
        ctx.clock = nextClock(ctx.clock, command.timestampMillis());
        if (command instanceof Command.AssignSlots a) {
            ctx.slots = ctx.slots.with(a.slots(), a.configVersion());
            return CommandResult.ok(new boolean[0]).encode();
        }
        if (command instanceof Command.Migration m) {
            CommandResult r = migrationApplier.apply(m.step(), ctx);
            if (!r.isOk()) {
                LOG.info("group {}: migration step {} of migration {} refused: {}", groupId, m.step().getStepCase(),
                        m.step().getMigrationId(), r.message());
            }
            return r.encode();
        }
        return applyWrite((Command.Write) command, ctx);
    }

    /**
     * The log's clock after a command stamped {@code stamp} by its leader: it never goes back, and
     * one command moves it ahead by at most {@link #MAX_CLOCK_STEP_MILLIS}, so a leader whose clock
     * is far ahead (or a forged stamp) cannot expire every session at once. The first stamp is
     * taken as it is.
     */
    static long nextClock(long clock, long stamp) {
        if (clock == 0) {
            return Math.max(0, stamp);
        }
        return Math.max(clock, Math.min(stamp, clock + MAX_CLOCK_STEP_MILLIS));
    }

    /** How far one command may move the log's clock ahead. */
    static final long MAX_CLOCK_STEP_MILLIS = 60_000;

    private byte[] applyWrite(Command.Write w, ApplyContext ctx) throws RocksDBException {
        Command.Session s = w.session();
        SessionTable.Session session = null;
        if (!s.isNone()) {
            session = sessions.get(s.clientId());
            if (session != null) {
                sessions.acknowledgeBelow(s.clientId(), session, s.firstIncomplete(), ctx.batch);
                sessions.touch(s.clientId(), session, ctx.clock);
                ctx.dirtySessions.add(s.clientId());
                if (session.replies.contains(s.sequence())) {
                    return storedReply(s.clientId(), s.sequence(), ctx);
                }
                if (s.sequence() < session.floor) {
                    return CommandResult.error(CommandResult.INVALID_ARGUMENT, "sequence " + s.sequence()
                            + " of client " + s.clientId() + " was already acknowledged", 0).encode();
                }
                if (session.replies.size() >= settings.maxRepliesPerClient()) {
                    return CommandResult.error(CommandResult.INVALID_ARGUMENT, "too many outstanding writes: client "
                            + s.clientId() + " has " + session.replies.size() + " unacknowledged", 0).encode();
                }
            } else if (sessions.mayHaveBeenEvicted(s.clientId())) {
                // Not applied and not remembered: this may be the retry of a write that applied
                // under a session evicted since, and applying it again would apply it twice.
                return CommandResult.error(CommandResult.SESSION_EXPIRED, "group " + groupId + " no longer has the"
                        + " session of client " + s.clientId() + " (evicted or expired); use a client id stamped"
                        + " after " + sessions.horizon(), sessions.horizon()).encode();
            } else if (s.sequence() < s.firstIncomplete()) {
                return CommandResult.error(CommandResult.INVALID_ARGUMENT, "sequence " + s.sequence()
                        + " is below first_incomplete " + s.firstIncomplete(), 0).encode();
            }
        }
        for (Command.Op op : w.ops()) {
            // Decided here, at apply, whatever the leader checked when it proposed: a write proposed
            // before a freeze that applies after it is refused. Not stored as the session reply:
            // the write did not happen and may be retried (at the slot's new owner).
            CommandResult refused = slotRefusal(Slots.of(op.key()), ctx.slots);
            if (refused != null) {
                return refused.encode();
            }
        }
        boolean[] found = new boolean[w.ops().size()];
        for (int i = 0; i < found.length; i++) {
            Command.Op op = w.ops().get(i);
            byte[] key = KvKeys.data(groupId, Slots.of(op.key()), op.key());
            if (op.put()) {
                ctx.batch.put(key, op.value());
                ctx.overlay.put(ByteBuffer.wrap(key), op.value());
            } else {
                found[i] = exists(key, ctx);
                ctx.batch.delete(key);
                ctx.overlay.put(ByteBuffer.wrap(key), TOMBSTONE);
            }
        }
        migrationApplier.journal(w.ops(), w.timestampMillis(), ctx);
        byte[] reply = CommandResult.ok(found).encode();
        if (!s.isNone()) {
            if (session == null) {
                session = sessions.create(s.clientId(), s.firstIncomplete(), ctx.clock);
                ctx.dirtySessions.add(s.clientId());
            }
            sessions.putReply(s.clientId(), session, s.sequence(), reply, ctx.batch);
            ctx.overlay.put(ByteBuffer.wrap(KvKeys.clientReply(groupId, s.clientId(), s.sequence())), reply);
            sessions.evictOverBound(ctx.batch, ctx.dirtySessions::remove);
        }
        return reply;
    }

    /** Why a request for {@code slot} may not be served by the group as {@code slots} has it; null if it may. */
    CommandResult slotRefusal(int slot, SlotTable slots) {
        switch (slots.state(slot)) {
            case OWNED:
            case MIGRATING:
                return null;
            case FROZEN:
                return CommandResult.error(CommandResult.SLOT_MIGRATING, "slot " + slot + " is moving from group "
                        + groupId + " to group " + slots.peer(slot) + "; retry shortly", slots.configVersion());
            case IMPORTING:
                return CommandResult.error(CommandResult.SLOT_MIGRATING, "slot " + slot + " is moving to group "
                        + groupId + " (from group " + slots.peer(slot) + ") and is not served here yet; retry shortly",
                        slots.configVersion());
            default:
                long owner = slots.peer(slot);
                return CommandResult.wrongGroup("group " + groupId + " does not own slot " + slot
                        + (owner != 0 ? "; it moved to group " + owner : ""), slots.configVersion(), owner, slot,
                        slots.epoch(slot));
        }
    }

    /** The reply a write stored when it applied (earlier in this batch, or in the database). */
    private byte[] storedReply(long clientId, long sequence, ApplyContext ctx) {
        byte[] key = KvKeys.clientReply(groupId, clientId, sequence);
        byte[] reply = ctx.overlay.get(ByteBuffer.wrap(key));
        if (reply == null) {
            reply = engine.get(key);
        }
        if (reply == null) {
            throw new IllegalStateException("group " + groupId + ": client " + clientId + " sequence " + sequence
                    + " is recorded as applied but its reply is missing");
        }
        return reply;
    }

    private boolean exists(byte[] key, ApplyContext ctx) {
        byte[] pending = ctx.overlay.get(ByteBuffer.wrap(key));
        if (pending != null) {
            return pending != TOMBSTONE;
        }
        return engine.get(key) != null;
    }

    @Override
    public long durableAppliedIndex() {
        return durableIndex;
    }

    /** The last applied index (visible to any thread). */
    public long appliedIndex() {
        return appliedIndex;
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * Pins the group's sessions, data, slot table, migrations and apply state with one RocksDB
     * snapshot; the runtime writes them out as SST files on a snapshot thread (see
     * {@link KvGroupImage}).
     */
    @Override
    public synchronized SnapshotImage captureImage() {
        requireOpen();
        return new KvGroupImage(engine, groupId);
    }

    /**
     * Replaces the group's keys with the image's: the old ranges are deleted (synced), then the
     * files are ingested in one atomic step, so a crash leaves either the old state, an empty
     * group (restored again from the kept files on restart) or the new state, never a mix.
     * When the image holds the apply state, the ingested files alone make the new state durable
     * and they are moved, not copied; otherwise they are copied, so that a crash before the apply
     * state is written finds them again.
     */
    @Override
    public synchronized void restore(SnapshotMetadata metadata, SnapshotFiles files) {
        requireOpen();
        boolean imageHasApplyState = false;
        for (SnapshotFileInfo f : files.manifest().getFilesList()) {
            imageHasApplyState |= f.getName().startsWith(KvGroupImage.APPLY_PREFIX + "-");
        }
        engine.deleteGroup(groupId);
        engine.ingest(files.paths(), imageHasApplyState);
        if (!imageHasApplyState) {
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(KvKeys.apply(groupId), new ApplyState(metadata.index(), metadata.term(), 0).encode());
                engine.write(batch, true);
            } catch (RocksDBException e) {
                throw new IllegalStateException("group " + groupId + ": cannot record the restored apply state", e);
            }
        }
        load();
        if (applyState.index() != metadata.index()) {
            throw new IllegalStateException("group " + groupId + ": snapshot at " + metadata.index()
                    + " holds the apply state of index " + applyState.index());
        }
        LOG.info("group {} restored from a snapshot at index {} ({} bytes in {} files, {} slots, {} sessions)",
                groupId, metadata.index(), files.totalBytes(), files.manifest().getFilesCount(), owned.count(),
                sessions.size());
    }

    // ------------------------------------------------------------------ reads

    public SlotTable ownedSlots() {
        return owned;
    }

    /** The value of a key as last applied here. */
    public Optional<byte[]> get(byte[] key) {
        return Optional.ofNullable(engine.get(KvKeys.data(groupId, Slots.of(key), key)));
    }

    /**
     * The values of several keys as of one moment: a batch read never sees half of an atomic
     * batch write (each entry is empty when its key is absent).
     *
     * @throws ResponseTooLargeException once the values read pass {@code maxBytes}: reading stops
     *                                   there, so memory is bounded by the budget plus one value
     */
    public List<Optional<byte[]>> getAll(List<byte[]> keys, long maxBytes) {
        org.rocksdb.Snapshot snapshot = engine.snapshot();
        try (ReadOptions at = new ReadOptions().setSnapshot(snapshot)) {
            List<Optional<byte[]>> values = new ArrayList<>(keys.size());
            long bytes = 0;
            for (byte[] key : keys) {
                byte[] value = engine.get(at, KvKeys.data(groupId, Slots.of(key), key));
                bytes += key.length + (value == null ? 0 : value.length);
                if (bytes > maxBytes) {
                    throw new ResponseTooLargeException("the values of the batch's first " + (values.size() + 1)
                            + " keys already pass the response limit of " + maxBytes + " bytes; read them in smaller"
                            + " batches");
                }
                values.add(Optional.ofNullable(value));
            }
            return values;
        } finally {
            engine.release(snapshot);
        }
    }

    /** Keys in [from, end) across {@code slots}, a page of at most about {@code maxBytes}; see {@link SlotMergeScan}. */
    public ScanPage scan(List<Integer> slots, byte[] from, boolean fromExclusive, byte[] end, int limit, long maxBytes) {
        return SlotMergeScan.scan(engine, groupId, slots, from, fromExclusive, end, limit, maxBytes);
    }

    /** Why a request for {@code slot} may not be served here now, as a typed result; empty if it may. */
    public Optional<CommandResult> refusal(int slot) {
        return refusal(slot, 0);
    }

    /**
     * {@link #refusal(int)} for a client whose map has the slot at {@code clientEpoch}: a newer
     * epoch than this group's means a move this replica has not applied yet, so the answer is
     * SLOT_MIGRATING (retry), not data or a route from before the move.
     */
    public Optional<CommandResult> refusal(int slot, long clientEpoch) {
        SlotTable slots = owned;
        if (clientEpoch > slots.epoch(slot)) {
            return Optional.of(CommandResult.error(CommandResult.SLOT_MIGRATING, "group " + groupId + " knows slot "
                    + slot + " at epoch " + slots.epoch(slot) + ", the request's map at epoch " + clientEpoch
                    + "; retry shortly", slots.configVersion()));
        }
        return Optional.ofNullable(slotRefusal(slot, slots));
    }

    // ------------------------------------------------------------------ migrations

    /** The group's record of a migration, as last applied here. */
    public Optional<MigrationRecord> migration(long migrationId) {
        return Optional.ofNullable(migrations.get(migrationId));
    }

    /** Every migration the group takes part in, as last applied here. */
    public List<MigrationRecord> migrations() {
        return List.copyOf(migrations.values());
    }

    /**
     * A page of a migration's slot data after {@code cursor}, for its target; the first page also
     * carries an estimate of the bytes to copy.
     */
    public MigrationReads.DataPage pullData(MigrationRecord r, com.google.protobuf.ByteString cursor, long maxBytes) {
        MigrationReads.DataPage page = MigrationReads.data(engine, groupId, r, cursor, maxBytes);
        if (cursor.isEmpty()) {
            page = new MigrationReads.DataPage(page.pairs(), page.nextCursor(), page.done(),
                    MigrationReads.sizeEstimate(engine, groupId, r));
        }
        return page;
    }

    /** Journal records of a migration from {@code fromSeq}, up to about {@code maxBytes}. */
    public List<com.google.protobuf.ByteString> pullJournal(long migrationId, long fromSeq, long maxBytes) {
        return MigrationReads.journal(engine, groupId, migrationId, fromSeq, maxBytes);
    }

    /** The group's client sessions after client {@code afterClient}, encoded for a migration's target. */
    public SessionImage.Page pullSessions(long afterClient, long maxBytes) {
        return SessionImage.read(engine, groupId, afterClient, maxBytes);
    }

    /** Number of client sessions held (for tests and status). */
    public int sessionCount() {
        return sessions.size();
    }
}

package io.shardkv.kv.state;

import com.google.protobuf.ByteString;
import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvKeys;
import io.shardkv.kv.proto.ActivateImport;
import io.shardkv.kv.proto.BeginMigration;
import io.shardkv.kv.proto.ImportChunk;
import io.shardkv.kv.proto.ImportJournal;
import io.shardkv.kv.proto.ImportSessions;
import io.shardkv.kv.proto.KvPair;
import io.shardkv.kv.proto.MigrationCommand;
import io.shardkv.kv.proto.MigrationRecord;
import io.shardkv.kv.proto.MigrationRole;
import io.shardkv.kv.proto.PrepareImport;
import io.shardkv.kv.proto.RetireSlots;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * Applies the steps of a slot migration (DESIGN 5) to one group's state, on the source or on the
 * target. Each step is idempotent by migration id: a step already applied, or a chunk at a cursor
 * the import has passed, changes nothing and answers OK, so the meta-server and the importer may
 * repeat any of them after a failure or a leader change. A step that cannot apply (a slot in the
 * wrong state, an unknown migration) answers an error and changes nothing.
 *
 * <p>On the source every successful write to a MIGRATING slot is also appended to the
 * migration's journal ({@link #journal}), in log order, in the same batch as the write: the
 * target replays it over a fuzzy copy of the slots' data, which makes the copy exact.
 */
final class MigrationApplier {
    /** A journal past this size stops growing and the migration can only be aborted. */
    static final long MAX_JOURNAL_BYTES = 1L << 30;

    private final long groupId;
    private final SessionTable sessions;

    MigrationApplier(long groupId, SessionTable sessions) {
        this.groupId = groupId;
        this.sessions = sessions;
    }

    CommandResult apply(MigrationCommand c, ApplyContext ctx) throws RocksDBException {
        long id = c.getMigrationId();
        if (id <= 0) {
            return invalid("migration ids start at 1");
        }
        switch (c.getStepCase()) {
            case PREPARE_IMPORT:
                return prepareImport(id, c.getPrepareImport(), ctx);
            case BEGIN:
                return begin(id, c.getBegin(), ctx);
            case IMPORT_CHUNK:
                return importChunk(id, c.getImportChunk(), ctx);
            case IMPORT_JOURNAL:
                return importJournal(id, c.getImportJournal(), ctx);
            case FREEZE:
                return freeze(id, ctx);
            case IMPORT_SESSIONS:
                return importSessions(id, c.getImportSessions(), ctx);
            case IMPORT_READY:
                return importReady(id, c.getImportReady().getJournalEnd(), ctx);
            case ACTIVATE:
                return activate(id, c.getActivate(), ctx);
            case RETIRE:
                return retire(id, c.getRetire(), ctx);
            case ABORT:
                return abort(id, ctx);
            default:
                return invalid("unknown migration step " + c.getStepCase());
        }
    }

    private CommandResult prepareImport(long id, PrepareImport p, ApplyContext ctx) throws RocksDBException {
        MigrationRecord existing = ctx.migration(id);
        if (existing != null) {
            return existing.getRole() == MigrationRole.TARGET ? ok() : invalid("migration " + id
                    + " is one group " + groupId + " is the source of");
        }
        if (id <= ctx.slots.finishedMigration()) {
            return ended(id);
        }
        Optional<String> bad = checkSlots(p.getSlotsList(), SlotTable.State.NONE, ctx, "be imported");
        if (bad.isPresent()) {
            return invalid(bad.get());
        }
        List<Integer> slots = new ArrayList<>(p.getSlotsList());
        for (int s : slots) {
            // Whatever an earlier ownership left behind goes; the copy starts from nothing.
            ctx.batch.deleteRange(KvKeys.slotStart(groupId, s), KvKeys.slotEnd(groupId, s));
        }
        ctx.slots = ctx.slots.set(slots, SlotTable.State.IMPORTING, id, p.getSourceGroupId(), 0, p.getConfigVersion());
        ctx.putMigration(MigrationRecord.newBuilder().setMigrationId(id).setRole(MigrationRole.TARGET)
                .addAllSlots(p.getSlotsList()).setPeerGroupId(p.getSourceGroupId()).build());
        return ok();
    }

    private CommandResult begin(long id, BeginMigration b, ApplyContext ctx) {
        MigrationRecord existing = ctx.migration(id);
        if (existing != null) {
            return existing.getRole() == MigrationRole.SOURCE ? ok() : invalid("migration " + id
                    + " is one group " + groupId + " is the target of");
        }
        if (id <= ctx.slots.finishedMigration()) {
            return ended(id);
        }
        Optional<String> bad = checkSlots(b.getSlotsList(), SlotTable.State.OWNED, ctx, "migrate");
        if (bad.isPresent()) {
            return invalid(bad.get());
        }
        ctx.slots = ctx.slots.set(b.getSlotsList(), SlotTable.State.MIGRATING, id, b.getTargetGroupId(), 0,
                b.getConfigVersion());
        ctx.putMigration(MigrationRecord.newBuilder().setMigrationId(id).setRole(MigrationRole.SOURCE)
                .addAllSlots(b.getSlotsList()).setPeerGroupId(b.getTargetGroupId()).build());
        return ok();
    }

    private CommandResult importChunk(long id, ImportChunk chunk, ApplyContext ctx) throws RocksDBException {
        MigrationRecord r = ctx.migration(id);
        if (r == null || r.getRole() != MigrationRole.TARGET) {
            return unknown(id, "import into");
        }
        if (r.getCopyDone() || !r.getCopyCursor().equals(chunk.getFromCursor())) {
            return ok(); // a repeated chunk: the import is past it
        }
        long bytes = 0;
        for (KvPair pair : chunk.getPairsList()) {
            byte[] key = pair.getKey().toByteArray();
            int slot = Slots.of(key);
            if (ctx.slots.state(slot) != SlotTable.State.IMPORTING || ctx.slots.migration(slot) != id) {
                return invalid("migration " + id + " sent a key of slot " + slot + ", which it does not import");
            }
            byte[] dataKey = KvKeys.data(groupId, slot, key);
            byte[] value = pair.getValue().toByteArray();
            ctx.batch.put(dataKey, value);
            // Later entries of this apply batch (a delete after the activation) must see it.
            ctx.overlay.put(java.nio.ByteBuffer.wrap(dataKey), value);
            bytes += key.length + value.length;
        }
        MigrationRecord.Builder next = r.toBuilder().setCopyCursor(chunk.getNextCursor()).setCopyDone(chunk.getDone())
                .setKeysCopied(r.getKeysCopied() + chunk.getPairsCount()).setBytesCopied(r.getBytesCopied() + bytes);
        if (chunk.getBytesEstimate() > 0) {
            next.setBytesEstimate(chunk.getBytesEstimate());
        }
        ctx.putMigration(next.build());
        return ok();
    }

    private CommandResult importJournal(long id, ImportJournal j, ApplyContext ctx) throws RocksDBException {
        MigrationRecord r = ctx.migration(id);
        if (r == null || r.getRole() != MigrationRole.TARGET) {
            return unknown(id, "import into");
        }
        // The journal is replayed over the whole copy, never under part of it: a record replayed
        // before a chunk that copied an older value would be undone by it.
        if (!r.getCopyDone() || r.getReady() || j.getFromSeq() != r.getJournalSeq() + 1) {
            return ok();
        }
        long bytes = 0;
        for (ByteString record : j.getRecordsList()) {
            Command decoded;
            try {
                decoded = CommandCodec.decode(record.toByteArray());
            } catch (IllegalArgumentException e) {
                return invalid("migration " + id + ": a malformed journal record: " + e.getMessage());
            }
            if (!(decoded instanceof Command.Write w)) {
                return invalid("migration " + id + ": a journal record is not a write");
            }
            for (Command.Op op : w.ops()) {
                int slot = Slots.of(op.key());
                if (ctx.slots.state(slot) != SlotTable.State.IMPORTING || ctx.slots.migration(slot) != id) {
                    return invalid("migration " + id + " journaled a key of slot " + slot + ", which it does not import");
                }
                byte[] key = KvKeys.data(groupId, slot, op.key());
                if (op.put()) {
                    ctx.batch.put(key, op.value());
                    ctx.overlay.put(java.nio.ByteBuffer.wrap(key), op.value());
                } else {
                    ctx.batch.delete(key);
                    ctx.overlay.put(java.nio.ByteBuffer.wrap(key), ApplyContext.TOMBSTONE);
                }
            }
            bytes += record.size();
        }
        ctx.putMigration(r.toBuilder().setJournalSeq(r.getJournalSeq() + j.getRecordsCount())
                .setJournalBytes(r.getJournalBytes() + bytes).build());
        return ok();
    }

    private CommandResult freeze(long id, ApplyContext ctx) {
        MigrationRecord r = ctx.migration(id);
        if (r == null || r.getRole() != MigrationRole.SOURCE) {
            return unknown(id, "freeze");
        }
        if (r.getFrozen()) {
            return ok();
        }
        if (r.getJournalOverflow()) {
            // Writes after the overflow are not in the journal: freezing now would lose them at the target.
            return invalid("migration " + id + " cannot freeze: its journal passed " + (MAX_JOURNAL_BYTES >> 20)
                    + " MiB and stopped; abort it");
        }
        ctx.slots = ctx.slots.set(r.getSlotsList(), SlotTable.State.FROZEN, id, r.getPeerGroupId(), 0, 0);
        ctx.putMigration(r.toBuilder().setFrozen(true).setJournalEnd(r.getJournalSeq()).build());
        return ok();
    }

    private CommandResult importSessions(long id, ImportSessions s, ApplyContext ctx) throws RocksDBException {
        MigrationRecord r = ctx.migration(id);
        if (r == null || r.getRole() != MigrationRole.TARGET) {
            return unknown(id, "import into");
        }
        if (r.getSessionsDone() || r.getReady()) {
            return ok();
        }
        List<SessionImage> images = new ArrayList<>(s.getSessionsCount());
        for (ByteString encoded : s.getSessionsList()) {
            try {
                images.add(SessionImage.decode(encoded.toByteArray()));
            } catch (IllegalArgumentException e) {
                return invalid("migration " + id + ": a malformed session: " + e.getMessage());
            }
        }
        for (SessionImage image : images) {
            // A retry answered from a merged reply later in this apply batch must find it.
            sessions.merge(image, ctx.batch, (sequence, reply) -> ctx.overlay.put(java.nio.ByteBuffer.wrap(
                    KvKeys.clientReply(groupId, image.clientId(), sequence)), reply));
            ctx.dirtySessions.remove(image.clientId()); // merge wrote it
        }
        sessions.mergeHorizon(s.getHorizon(), ctx.batch);
        sessions.evictOverBound(ctx.batch, ctx.dirtySessions::remove);
        MigrationRecord.Builder next = r.toBuilder().setSessionsCursor(s.getNextCursor()).setSessionsDone(s.getDone());
        if (s.getDone() && s.hasJournalEnd() && r.getCopyDone() && r.getJournalSeq() == s.getJournalEnd()) {
            next.setReady(true).setJournalEnd(s.getJournalEnd());
        }
        ctx.putMigration(next.build());
        return ok();
    }

    private CommandResult importReady(long id, long journalEnd, ApplyContext ctx) {
        MigrationRecord r = ctx.migration(id);
        if (r == null || r.getRole() != MigrationRole.TARGET) {
            return unknown(id, "mark ready");
        }
        if (r.getReady()) {
            return ok();
        }
        if (!r.getCopyDone() || !r.getSessionsDone() || r.getJournalSeq() != journalEnd) {
            return CommandResult.error(CommandResult.UNAVAILABLE, "migration " + id + " is not caught up: copy done "
                    + r.getCopyDone() + ", journal at " + r.getJournalSeq() + " of " + journalEnd + ", sessions done "
                    + r.getSessionsDone(), 0);
        }
        ctx.putMigration(r.toBuilder().setReady(true).setJournalEnd(journalEnd).build());
        return ok();
    }

    private CommandResult activate(long id, ActivateImport a, ApplyContext ctx) {
        MigrationRecord r = ctx.migration(id);
        if (r == null) {
            ctx.slots = ctx.slots.finished(id);
            return ok(); // activated before: the record goes with the activation
        }
        if (r.getRole() != MigrationRole.TARGET || !r.getReady()) {
            return invalid("migration " + id + " cannot be activated in group " + groupId + ": "
                    + (r.getRole() != MigrationRole.TARGET ? "it is the source" : "the import is not ready"));
        }
        ctx.slots = ctx.slots.set(r.getSlotsList(), SlotTable.State.OWNED, 0, 0, a.getEpoch(), a.getConfigVersion())
                .finished(id);
        ctx.removeMigration(id);
        return ok();
    }

    private CommandResult retire(long id, RetireSlots rs, ApplyContext ctx) throws RocksDBException {
        MigrationRecord r = ctx.migration(id);
        if (r == null) {
            ctx.slots = ctx.slots.finished(id);
            return ok(); // retired before
        }
        if (r.getRole() != MigrationRole.SOURCE || !r.getFrozen()) {
            return invalid("migration " + id + " cannot retire slots of group " + groupId + ": "
                    + (r.getRole() != MigrationRole.SOURCE ? "it is the target" : "they are not frozen"));
        }
        ctx.slots = ctx.slots.set(r.getSlotsList(), SlotTable.State.NONE, 0, r.getPeerGroupId(), rs.getEpoch(),
                rs.getConfigVersion()).finished(id);
        deleteSlotData(r.getSlotsList(), ctx);
        deleteJournal(id, ctx);
        ctx.removeMigration(id);
        return ok();
    }

    private CommandResult abort(long id, ApplyContext ctx) throws RocksDBException {
        MigrationRecord r = ctx.migration(id);
        ctx.slots = ctx.slots.finished(id);
        if (r == null) {
            return ok(); // ended before, or never began here: a late PREPARE or BEGIN is refused from now on
        }
        if (r.getRole() == MigrationRole.SOURCE) {
            ctx.slots = ctx.slots.set(r.getSlotsList(), SlotTable.State.OWNED, 0, 0, 0, 0);
            deleteJournal(id, ctx);
        } else {
            ctx.slots = ctx.slots.set(r.getSlotsList(), SlotTable.State.NONE, 0, 0, 0, 0);
            deleteSlotData(r.getSlotsList(), ctx);
        }
        ctx.removeMigration(id);
        return ok();
    }

    /**
     * Appends the ops of a write that touch MIGRATING slots to their migrations' journals. Called
     * after the write's ops went into the batch; {@code ops} are all of the write's.
     */
    void journal(List<Command.Op> ops, long timestampMillis, ApplyContext ctx) {
        List<Command.Op> forMigration = null;
        long current = 0;
        for (Command.Op op : ops) {
            int slot = Slots.of(op.key());
            if (ctx.slots.state(slot) != SlotTable.State.MIGRATING) {
                continue;
            }
            long id = ctx.slots.migration(slot);
            if (forMigration != null && id != current) {
                append(current, forMigration, timestampMillis, ctx);
                forMigration = null;
            }
            if (forMigration == null) {
                forMigration = new ArrayList<>();
                current = id;
            }
            forMigration.add(op);
        }
        if (forMigration != null) {
            append(current, forMigration, timestampMillis, ctx);
        }
    }

    private void append(long id, List<Command.Op> ops, long timestampMillis, ApplyContext ctx) {
        MigrationRecord r = ctx.migration(id);
        if (r == null || r.getJournalOverflow()) {
            return;
        }
        byte[] record = CommandCodec.encode(new Command.Write(Command.Session.NONE, timestampMillis, ops));
        if (r.getJournalBytes() + record.length > MAX_JOURNAL_BYTES) {
            ctx.putMigration(r.toBuilder().setJournalOverflow(true).build());
            return;
        }
        long seq = r.getJournalSeq() + 1;
        try {
            ctx.batch.put(KvKeys.journal(groupId, id, seq), record);
        } catch (RocksDBException e) {
            throw new IllegalStateException("group " + groupId + ": cannot journal migration " + id, e);
        }
        ctx.putMigration(r.toBuilder().setJournalSeq(seq).setJournalBytes(r.getJournalBytes() + record.length).build());
    }

    private void deleteSlotData(List<Integer> slots, ApplyContext ctx) throws RocksDBException {
        for (int s : slots) {
            ctx.batch.deleteRange(KvKeys.slotStart(groupId, s), KvKeys.slotEnd(groupId, s));
        }
    }

    private void deleteJournal(long id, ApplyContext ctx) throws RocksDBException {
        ctx.batch.deleteRange(KvKeys.journal(groupId, id, 0), KvKeys.journal(groupId, id + 1, 0));
    }

    /** Why the slots are not all in {@code expected}, if they are not. */
    private Optional<String> checkSlots(List<Integer> slots, SlotTable.State expected, ApplyContext ctx,
                                                  String what) {
        if (slots.isEmpty()) {
            return Optional.of("a migration needs at least one slot");
        }
        for (int s : slots) {
            if (s < 0 || s >= Slots.COUNT) {
                return Optional.of("slot " + s + " is outside [0, " + Slots.COUNT + ")");
            }
            if (ctx.slots.state(s) != expected) {
                return Optional.of("group " + groupId + " cannot " + what + " slot " + s + ": it is "
                        + ctx.slots.state(s) + " there, not " + expected);
            }
        }
        return Optional.empty();
    }

    private CommandResult ended(long id) {
        return invalid("migration " + id + " already ended in group " + groupId + "; a late step cannot restart it");
    }

    private static CommandResult ok() {
        return CommandResult.ok(new boolean[0]);
    }

    private static CommandResult invalid(String message) {
        return CommandResult.error(CommandResult.INVALID_ARGUMENT, message, 0);
    }

    private CommandResult unknown(long id, String what) {
        return CommandResult.error(CommandResult.INVALID_ARGUMENT, "group " + groupId + " has no migration " + id
                + " to " + what, 0);
    }
}

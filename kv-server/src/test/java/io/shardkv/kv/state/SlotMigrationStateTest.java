package io.shardkv.kv.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.proto.ActivateImport;
import io.shardkv.kv.proto.BeginMigration;
import io.shardkv.kv.proto.FreezeMigration;
import io.shardkv.kv.proto.ImportChunk;
import io.shardkv.kv.proto.ImportJournal;
import io.shardkv.kv.proto.ImportReady;
import io.shardkv.kv.proto.ImportSessions;
import io.shardkv.kv.proto.MigrationCommand;
import io.shardkv.kv.proto.MigrationRecord;
import io.shardkv.kv.proto.PrepareImport;
import io.shardkv.kv.proto.RetireSlots;
import io.shardkv.kv.proto.AbortMigration;
import io.shardkv.raft.core.Entry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration steps of DESIGN 5 applied to a source and a target group on one real RocksDB, the
 * way the runtime applies them (through the logs' commands), with the pulls a target's importer
 * makes in between.
 */
class SlotMigrationStateTest {
    private static final long SOURCE = 1;
    private static final long TARGET = 2;
    private static final long MOVE = 41;
    private static final int SLOT = 300;
    private static final List<Integer> ALL = IntStream.range(0, Slots.COUNT).boxed().toList();

    @TempDir
    Path dir;
    private KvEngine engine;
    private KvStateMachine source;
    private KvStateMachine target;
    private final long[] nextIndex = {1, 1, 1};
    /** Keys of SLOT, in the order found. */
    private final List<String> keys = new ArrayList<>();

    @BeforeEach
    void open() {
        engine = KvEngine.open(dir.resolve("kv"));
        source = KvStateMachine.open(SOURCE, engine, StateMachineSettings.defaults());
        target = KvStateMachine.open(TARGET, engine, StateMachineSettings.defaults());
        assertThat(apply(source, new Command.AssignSlots(1, 3, ALL)).isOk()).isTrue();
        for (int i = 0; keys.size() < 200; i++) {
            if (Slots.of(b("key" + i)) == SLOT) {
                keys.add("key" + i);
            }
        }
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private CommandResult apply(KvStateMachine sm, Command c) {
        int which = (int) sm.groupId();
        Entry e = Entry.normal(1, nextIndex[which]++, CommandCodec.encode(c));
        return CommandResult.decode(sm.apply(List.of(e)).get(0));
    }

    private CommandResult step(KvStateMachine sm, MigrationCommand.Builder c) {
        return apply(sm, new Command.Migration(5, c.setMigrationId(MOVE).build()));
    }

    private CommandResult put(KvStateMachine sm, long client, long seq, String key, String value) {
        return apply(sm, new Command.Write(new Command.Session(client, seq, 1), 10,
                List.of(Command.Op.put(b(key), b(value)))));
    }

    private CommandResult del(KvStateMachine sm, String key) {
        return apply(sm, new Command.Write(Command.Session.NONE, 10, List.of(Command.Op.delete(b(key)))));
    }

    private static String value(KvStateMachine sm, String key) {
        return sm.get(b(key)).map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
    }

    private void begin() {
        assertThat(step(target, MigrationCommand.newBuilder().setPrepareImport(PrepareImport.newBuilder()
                .addSlots(SLOT).setSourceGroupId(SOURCE).setConfigVersion(4))).isOk()).isTrue();
        assertThat(step(source, MigrationCommand.newBuilder().setBegin(BeginMigration.newBuilder().addSlots(SLOT)
                .setTargetGroupId(TARGET).setConfigVersion(4))).isOk()).isTrue();
    }

    /** Copies the slot's data the way the importer does, in small pages, running {@code between} after each. */
    private int copy(Runnable between) {
        int pages = 0;
        while (!target.migration(MOVE).orElseThrow().getCopyDone()) {
            MigrationRecord r = target.migration(MOVE).orElseThrow();
            MigrationReads.DataPage page = source.pullData(source.migration(MOVE).orElseThrow(), r.getCopyCursor(),
                    64);
            assertThat(step(target, MigrationCommand.newBuilder().setImportChunk(ImportChunk.newBuilder()
                    .setFromCursor(r.getCopyCursor()).addAllPairs(page.pairs()).setNextCursor(page.nextCursor())
                    .setDone(page.done()))).isOk()).isTrue();
            between.run();
            pages++;
        }
        return pages;
    }

    /** Applies the source's journal to the target until it has every record the source holds. */
    private void catchUp() {
        while (true) {
            long from = target.migration(MOVE).orElseThrow().getJournalSeq() + 1;
            List<ByteString> records = source.pullJournal(MOVE, from, 100);
            if (records.isEmpty()) {
                return;
            }
            assertThat(step(target, MigrationCommand.newBuilder().setImportJournal(ImportJournal.newBuilder()
                    .setFromSeq(from).addAllRecords(records))).isOk()).isTrue();
        }
    }

    private void moveSessions() {
        long after = 0;
        while (true) {
            SessionImage.Page page = source.pullSessions(after, 50);
            ByteString cursor = ByteString.copyFrom(ByteBuffer.allocate(8).putLong(page.lastClient()).array());
            ImportSessions.Builder s = ImportSessions.newBuilder().setHorizon(page.horizon()).setNextCursor(cursor)
                    .setDone(page.done());
            page.sessions().forEach(x -> s.addSessions(ByteString.copyFrom(x)));
            assertThat(step(target, MigrationCommand.newBuilder().setImportSessions(s)).isOk()).isTrue();
            if (page.done()) {
                return;
            }
            after = page.lastClient();
        }
    }

    @Test
    void aMoveUnderConcurrentWritesEndsWithTheTargetHoldingExactlyTheSourcesData() {
        TreeMap<String, String> expected = new TreeMap<>();
        for (int i = 0; i < keys.size(); i++) {
            assertThat(put(source, 9, i + 1, keys.get(i), "v" + i).isOk()).isTrue();
            expected.put(keys.get(i), "v" + i);
        }
        begin();
        assertThat(target.refusal(SLOT)).hasValueSatisfying(r -> assertThat(r.code())
                .isEqualTo(CommandResult.SLOT_MIGRATING));
        assertThat(source.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.MIGRATING);

        // Writes go on at the source during the copy: overwrites, deletes and new keys, all journaled.
        Random random = new Random(7);
        int pages = copy(() -> {
            String k = keys.get(random.nextInt(keys.size()));
            if (random.nextInt(4) == 0) {
                assertThat(del(source, k).isOk()).isTrue();
                expected.remove(k);
            } else {
                String v = "w" + random.nextInt(1000);
                assertThat(put(source, 0, 0, k, v).isOk()).isTrue();
                expected.put(k, v);
            }
        });
        assertThat(pages).as("a copy in many pages").isGreaterThan(10);
        // A journal record before the copy is done is ignored: it would be undone by later chunks.
        catchUp();
        assertThat(source.migration(MOVE).orElseThrow().getJournalSeq()).isEqualTo(pages);

        // Freeze: a write to the slot is refused from now on, whatever was checked when proposed.
        assertThat(step(source, MigrationCommand.newBuilder().setFreeze(FreezeMigration.getDefaultInstance()))
                .isOk()).isTrue();
        assertThat(put(source, 9, 999, keys.get(0), "late").code()).isEqualTo(CommandResult.SLOT_MIGRATING);
        // A retry of a write applied before the freeze still gets its first reply.
        assertThat(put(source, 9, 1, keys.get(0), "v0").isOk()).isTrue();
        catchUp();
        moveSessions();
        assertThat(step(target, MigrationCommand.newBuilder().setImportReady(ImportReady.newBuilder()
                .setJournalEnd(source.migration(MOVE).orElseThrow().getJournalEnd()))).isOk()).isTrue();

        assertThat(step(target, MigrationCommand.newBuilder().setActivate(ActivateImport.newBuilder().setEpoch(1)
                .setConfigVersion(6))).isOk()).isTrue();
        assertThat(step(source, MigrationCommand.newBuilder().setRetire(RetireSlots.newBuilder().setEpoch(1)
                .setConfigVersion(6))).isOk()).isTrue();

        for (String k : keys) {
            assertThat(value(target, k)).as(k).isEqualTo(expected.get(k));
            assertThat(value(source, k)).as("deleted at the source: %s", k).isNull();
        }
        assertThat(target.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.OWNED);
        assertThat(target.ownedSlots().epoch(SLOT)).isEqualTo(1);
        // A client whose map is a move ahead of a group is told to retry, not served from before the move.
        assertThat(target.refusal(SLOT, 1)).isEmpty();
        assertThat(target.refusal(SLOT, 2)).hasValueSatisfying(r -> assertThat(r.code())
                .isEqualTo(CommandResult.SLOT_MIGRATING));
        assertThat(source.refusal(SLOT, 2)).hasValueSatisfying(r -> assertThat(r.code())
                .isEqualTo(CommandResult.SLOT_MIGRATING));
        assertThat(source.refusal(SLOT, 1)).hasValueSatisfying(r -> assertThat(r.code())
                .isEqualTo(CommandResult.WRONG_GROUP));
        CommandResult moved = put(source, 0, 0, keys.get(1), "x");
        assertThat(moved.code()).isEqualTo(CommandResult.WRONG_GROUP);
        assertThat(moved.ownerGroup()).isEqualTo(TARGET);
        assertThat(moved.slot()).isEqualTo(SLOT);
        assertThat(moved.slotEpoch()).isEqualTo(1);
        assertThat(source.migrations()).isEmpty();
        assertThat(target.migrations()).isEmpty();

        // Sessions moved with the slot: a retry of write 3 of client 9 is answered, not applied again.
        String before = value(target, keys.get(2));
        assertThat(put(target, 9, 3, keys.get(2), "v2").isOk()).isTrue();
        assertThat(value(target, keys.get(2))).isEqualTo(before);
        assertThat(put(target, 9, 1000, keys.get(2), "new").isOk()).isTrue();
        assertThat(value(target, keys.get(2))).isEqualTo("new");
    }

    @Test
    void repeatedOrOutOfOrderStepsChangeNothing() {
        for (int i = 0; i < 20; i++) {
            put(source, 0, 0, keys.get(i), "v" + i);
        }
        begin();
        begin(); // prepare and begin again: OK, no change
        MigrationReads.DataPage page = source.pullData(source.migration(MOVE).orElseThrow(), ByteString.EMPTY, 64);
        ImportChunk first = ImportChunk.newBuilder().setFromCursor(ByteString.EMPTY).addAllPairs(page.pairs())
                .setNextCursor(page.nextCursor()).setDone(page.done()).build();
        assertThat(step(target, MigrationCommand.newBuilder().setImportChunk(first)).isOk()).isTrue();
        long keysCopied = target.migration(MOVE).orElseThrow().getKeysCopied();
        assertThat(step(target, MigrationCommand.newBuilder().setImportChunk(first)).isOk()).isTrue();
        assertThat(target.migration(MOVE).orElseThrow().getKeysCopied()).isEqualTo(keysCopied);
        copy(() -> put(source, 0, 0, keys.get(0), "changed"));

        // A journal page that does not start right after the last applied record is ignored.
        List<ByteString> records = source.pullJournal(MOVE, 1, Long.MAX_VALUE);
        assertThat(records).isNotEmpty();
        assertThat(step(target, MigrationCommand.newBuilder().setImportJournal(ImportJournal.newBuilder()
                .setFromSeq(2).addAllRecords(records))).isOk()).isTrue();
        assertThat(target.migration(MOVE).orElseThrow().getJournalSeq()).isZero();
        catchUp();
        assertThat(value(target, keys.get(0))).isEqualTo("changed");
        // Not ready before the freeze: ImportReady is refused and nothing changes.
        assertThat(step(target, MigrationCommand.newBuilder().setImportReady(ImportReady.newBuilder()
                .setJournalEnd(99))).isOk()).isFalse();
        // Activation before ready is refused: the target never serves a partial copy.
        assertThat(step(target, MigrationCommand.newBuilder().setActivate(ActivateImport.newBuilder().setEpoch(1)))
                .isOk()).isFalse();
        assertThat(target.ownedSlots().owns(SLOT)).isFalse();
    }

    @Test
    void anAbortGivesTheSlotBackToTheSourceAndEmptiesTheTarget() {
        for (int i = 0; i < 50; i++) {
            put(source, 0, 0, keys.get(i), "v" + i);
        }
        begin();
        copy(() -> { });
        assertThat(step(source, MigrationCommand.newBuilder().setFreeze(FreezeMigration.getDefaultInstance()))
                .isOk()).isTrue();
        assertThat(step(target, MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()))
                .isOk()).isTrue();
        assertThat(step(source, MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()))
                .isOk()).isTrue();
        assertThat(source.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.OWNED);
        assertThat(target.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.NONE);
        assertThat(put(source, 0, 0, keys.get(0), "after").isOk()).isTrue();
        assertThat(value(source, keys.get(0))).isEqualTo("after");
        assertThat(value(target, keys.get(1))).isNull();
        assertThat(source.pullJournal(MOVE, 1, Long.MAX_VALUE)).as("the journal is deleted").isEmpty();
        assertThat(source.migrations()).isEmpty();
        // Aborting again is a no-op.
        assertThat(step(source, MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()))
                .isOk()).isTrue();
    }

    @Test
    void slotStatesAndMigrationRecordsSurviveAReopen() {
        begin();
        put(source, 0, 0, keys.get(0), "x");
        engine.close();
        engine = KvEngine.open(dir.resolve("kv"));
        KvStateMachine s = KvStateMachine.open(SOURCE, engine, StateMachineSettings.defaults());
        KvStateMachine t = KvStateMachine.open(TARGET, engine, StateMachineSettings.defaults());
        assertThat(s.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.MIGRATING);
        assertThat(s.ownedSlots().peer(SLOT)).isEqualTo(TARGET);
        assertThat(t.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.IMPORTING);
        assertThat(s.migration(MOVE).orElseThrow().getJournalSeq()).isEqualTo(1);
        assertThat(t.migration(MOVE)).isPresent();
        // The writes after a restart are journaled on from where the journal stood.
        source = s;
        target = t;
        put(source, 0, 0, keys.get(1), "y");
        assertThat(source.pullJournal(MOVE, 1, Long.MAX_VALUE)).hasSize(2);
    }

    @Test
    void slotsThatAreNotOwnedOrAlreadyMovingCannotBeginOrBeImported() {
        assertThat(step(target, MigrationCommand.newBuilder().setBegin(BeginMigration.newBuilder().addSlots(SLOT)
                .setTargetGroupId(SOURCE))).code()).isEqualTo(CommandResult.INVALID_ARGUMENT);
        assertThat(step(source, MigrationCommand.newBuilder().setPrepareImport(PrepareImport.newBuilder()
                .addSlots(SLOT).setSourceGroupId(TARGET))).code()).isEqualTo(CommandResult.INVALID_ARGUMENT);
        begin();
        assertThat(apply(source, new Command.Migration(5, MigrationCommand.newBuilder().setMigrationId(MOVE + 1)
                .setBegin(BeginMigration.newBuilder().addSlots(SLOT).setTargetGroupId(3)).build())).code())
                .isEqualTo(CommandResult.INVALID_ARGUMENT);
    }

    @Test
    void theSlotTableReadsTheFirstFormat() {
        byte[] old = ByteBuffer.allocate(8 + 2).putLong(9).put((byte) 0b101).put((byte) 0).array();
        SlotTable t = SlotTable.decode(old);
        assertThat(t.configVersion()).isEqualTo(9);
        assertThat(t.list()).containsExactly(0, 2);
        assertThat(SlotTable.decode(t.encode())).isEqualTo(t);
    }

    @Test
    void anEmptySlotAndASlotOfFourMebibyteValuesMoveWhole() {
        // SLOT gets three 4 MiB values; slot SLOT + 1 stays empty.
        byte[] big = new byte[4 << 20];
        new Random(3).nextBytes(big);
        for (int i = 0; i < 3; i++) {
            assertThat(apply(source, new Command.Write(Command.Session.NONE, 10,
                    List.of(Command.Op.put(b(keys.get(i)), big)))).isOk()).isTrue();
        }
        assertThat(step(target, MigrationCommand.newBuilder().setPrepareImport(PrepareImport.newBuilder()
                .addSlots(SLOT).addSlots(SLOT + 1).setSourceGroupId(SOURCE))).isOk()).isTrue();
        assertThat(step(source, MigrationCommand.newBuilder().setBegin(BeginMigration.newBuilder().addSlots(SLOT)
                .addSlots(SLOT + 1).setTargetGroupId(TARGET))).isOk()).isTrue();
        int pages = 0;
        while (!target.migration(MOVE).orElseThrow().getCopyDone()) {
            MigrationRecord r = target.migration(MOVE).orElseThrow();
            // A 1 MiB page still carries one whole value: pages are bounded by bytes, never split a value.
            MigrationReads.DataPage page = source.pullData(source.migration(MOVE).orElseThrow(), r.getCopyCursor(),
                    1 << 20);
            assertThat(page.pairs().size()).isLessThanOrEqualTo(1);
            assertThat(step(target, MigrationCommand.newBuilder().setImportChunk(ImportChunk.newBuilder()
                    .setFromCursor(r.getCopyCursor()).addAllPairs(page.pairs()).setNextCursor(page.nextCursor())
                    .setDone(page.done()))).isOk()).isTrue();
            pages++;
        }
        assertThat(pages).isBetween(3, 4);
        assertThat(step(source, MigrationCommand.newBuilder().setFreeze(FreezeMigration.getDefaultInstance()))
                .isOk()).isTrue();
        moveSessions();
        assertThat(step(target, MigrationCommand.newBuilder().setImportReady(ImportReady.newBuilder()
                .setJournalEnd(0))).isOk()).isTrue();
        assertThat(step(target, MigrationCommand.newBuilder().setActivate(ActivateImport.newBuilder().setEpoch(1)))
                .isOk()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(target.get(b(keys.get(i)))).hasValueSatisfying(v -> assertThat(v).isEqualTo(big));
        }
        assertThat(target.ownedSlots().owns(SLOT + 1)).isTrue();
        assertThat(target.migration(MOVE)).as("the record goes with the activation").isEmpty();
    }

    @Test
    void aLateStepOfAMigrationThatEndedCannotBringItBack() {
        // The abort applies first (the prepare was still in flight), then the prepare and begin arrive.
        assertThat(step(target, MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()))
                .isOk()).isTrue();
        assertThat(step(source, MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()))
                .isOk()).isTrue();
        assertThat(step(target, MigrationCommand.newBuilder().setPrepareImport(PrepareImport.newBuilder()
                .addSlots(SLOT).setSourceGroupId(SOURCE))).message()).contains("already ended");
        assertThat(step(source, MigrationCommand.newBuilder().setBegin(BeginMigration.newBuilder().addSlots(SLOT)
                .setTargetGroupId(TARGET))).message()).contains("already ended");
        assertThat(target.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.NONE);
        assertThat(source.ownedSlots().state(SLOT)).isEqualTo(SlotTable.State.OWNED);
        assertThat(source.migrations()).isEmpty();
        // A later migration (a higher id) goes ahead, and the tombstone survives a reopen.
        engine.close();
        engine = KvEngine.open(dir.resolve("kv"));
        source = KvStateMachine.open(SOURCE, engine, StateMachineSettings.defaults());
        target = KvStateMachine.open(TARGET, engine, StateMachineSettings.defaults());
        assertThat(source.ownedSlots().finishedMigration()).isEqualTo(MOVE);
        assertThat(apply(target, new Command.Migration(5, MigrationCommand.newBuilder().setMigrationId(MOVE + 1)
                .setPrepareImport(PrepareImport.newBuilder().addSlots(SLOT).setSourceGroupId(SOURCE)).build()))
                .isOk()).isTrue();
    }

    @Test
    void aMalformedJournalRecordIsRefusedAndTheGroupGoesOn() {
        put(source, 0, 0, keys.get(0), "v");
        begin();
        copy(() -> { });
        CommandResult r = step(target, MigrationCommand.newBuilder().setImportJournal(ImportJournal.newBuilder()
                .setFromSeq(1).addRecords(ByteString.copyFromUtf8("not a command"))));
        assertThat(r.code()).isEqualTo(CommandResult.INVALID_ARGUMENT);
        assertThat(r.message()).contains("malformed journal record");
        assertThat(put(target, 0, 0, keys.get(0), "x").code()).isEqualTo(CommandResult.SLOT_MIGRATING);
    }

    @Test
    void aRetryAnsweredFromAMergedReplyInTheSameApplyBatchFindsIt() {
        assertThat(put(source, 9, 1, keys.get(0), "first").isOk()).isTrue();
        begin();
        copy(() -> { });
        assertThat(step(source, MigrationCommand.newBuilder().setFreeze(FreezeMigration.getDefaultInstance()))
                .isOk()).isTrue();
        catchUp();
        SessionImage.Page page = source.pullSessions(0, Long.MAX_VALUE);
        ImportSessions.Builder sessions = ImportSessions.newBuilder().setHorizon(page.horizon()).setDone(true)
                .setJournalEnd(source.migration(MOVE).orElseThrow().getJournalEnd());
        page.sessions().forEach(x -> sessions.addSessions(ByteString.copyFrom(x)));
        // Sessions, activation and the client's retry of write 1 in one batch, as a replay would apply them.
        List<Entry> batch = List.of(
                Entry.normal(1, nextIndex[2]++, CommandCodec.encode(new Command.Migration(5, MigrationCommand
                        .newBuilder().setMigrationId(MOVE).setImportSessions(sessions).build()))),
                Entry.normal(1, nextIndex[2]++, CommandCodec.encode(new Command.Migration(5, MigrationCommand
                        .newBuilder().setMigrationId(MOVE).setActivate(ActivateImport.newBuilder().setEpoch(1))
                        .build()))),
                Entry.normal(1, nextIndex[2]++, CommandCodec.encode(new Command.Write(new Command.Session(9, 1, 1),
                        10, List.of(Command.Op.put(b(keys.get(0)), b("first")))))),
                Entry.normal(1, nextIndex[2]++, CommandCodec.encode(new Command.Write(Command.Session.NONE, 10,
                        List.of(Command.Op.delete(b(keys.get(0))))))));
        List<byte[]> results = target.apply(batch);
        assertThat(CommandResult.decode(results.get(1)).isOk()).isTrue();
        assertThat(CommandResult.decode(results.get(2)).isOk()).isTrue();
        // The delete saw the key the import wrote earlier in the same batch.
        assertThat(CommandResult.decode(results.get(3)).found()).containsExactly(true);
        assertThat(target.get(b(keys.get(0)))).isEmpty();
    }
}

package io.shardkv.kv.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.ScanPage;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import io.shardkv.common.ClientIds;
import io.shardkv.kv.engine.KvKeys;
import io.shardkv.raft.runtime.SnapshotBuilder;
import io.shardkv.raft.runtime.SnapshotImage;
import io.shardkv.raft.snapshot.SnapshotFiles;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-group KV state machine on a real RocksDB. */
class KvStateMachineTest {
    private static final long GROUP = 7;
    private static final List<Integer> ALL_SLOTS = IntStream.range(0, Slots.COUNT).boxed().toList();

    @TempDir
    Path dir;
    private final List<KvEngine> engines = new ArrayList<>();
    private long nextIndex = 1;

    @AfterEach
    void closeEngines() {
        engines.forEach(KvEngine::close);
    }

    private KvEngine engine(String name) {
        KvEngine e = KvEngine.open(dir.resolve(name));
        engines.add(e);
        return e;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private Entry entry(Command c) {
        return Entry.normal(1, nextIndex++, CommandCodec.encode(c));
    }

    private static Command.Write put(long client, long seq, long firstIncomplete, long ts, String key, String value) {
        return new Command.Write(new Command.Session(client, seq, firstIncomplete), ts,
                List.of(Command.Op.put(b(key), b(value))));
    }

    private static Command.Write del(long client, long seq, long firstIncomplete, long ts, String key) {
        return new Command.Write(new Command.Session(client, seq, firstIncomplete), ts,
                List.of(Command.Op.delete(b(key))));
    }

    private CommandResult apply(KvStateMachine sm, Command c) {
        return CommandResult.decode(sm.apply(List.of(entry(c))).get(0));
    }

    private KvStateMachine ownsAll(KvEngine engine, StateMachineSettings settings) {
        KvStateMachine sm = KvStateMachine.open(GROUP, engine, settings);
        assertThat(apply(sm, new Command.AssignSlots(1, 3, ALL_SLOTS)).isOk()).isTrue();
        return sm;
    }

    @Test
    void oneApplyWritesDataSessionsAndIndexTogetherAndSurvivesReopen() {
        KvEngine engine = KvEngine.open(dir.resolve("a"));
        KvStateMachine sm = ownsAll(engine, StateMachineSettings.defaults());
        List<Entry> batch = List.of(entry(put(1, 1, 1, 10, "x", "1")), entry(put(1, 2, 1, 11, "y", "2")),
                entry(new Command.Write(new Command.Session(2, 1, 1), 12,
                        List.of(Command.Op.put(b("z"), b("3")), Command.Op.delete(b("x"))))));
        List<byte[]> results = sm.apply(batch);
        assertThat(CommandResult.decode(results.get(2)).found()).containsExactly(false, true);
        assertThat(sm.appliedIndex()).isEqualTo(4);
        engine.close();

        KvStateMachine reopened = KvStateMachine.open(GROUP, engine("a"), StateMachineSettings.defaults());
        assertThat(reopened.appliedIndex()).isEqualTo(4);
        assertThat(reopened.durableAppliedIndex()).isEqualTo(4);
        assertThat(reopened.get(b("x"))).isEmpty();
        assertThat(s(reopened.get(b("y")).orElseThrow())).isEqualTo("2");
        assertThat(s(reopened.get(b("z")).orElseThrow())).isEqualTo("3");
        assertThat(reopened.ownedSlots().count()).isEqualTo(Slots.COUNT);
        assertThat(reopened.sessionCount()).isEqualTo(2);
    }

    @Test
    void replayingTheSameLogInOtherChunksGivesTheSameState() {
        List<Command> log = new ArrayList<>();
        log.add(new Command.AssignSlots(1, 1, ALL_SLOTS));
        for (int i = 0; i < 50; i++) {
            log.add(put(i % 3 + 1, i / 3 + 1, 1, 100 + i, "k" + (i % 17), "v" + i));
            if (i % 5 == 0) {
                log.add(del(9, i + 1, 1, 100 + i, "k" + (i % 7)));
            }
        }
        KvEngine oneEngine = engine("one");
        KvEngine otherEngine = engine("other");
        KvStateMachine one = KvStateMachine.open(GROUP, oneEngine, StateMachineSettings.defaults());
        KvStateMachine other = KvStateMachine.open(GROUP, otherEngine, StateMachineSettings.defaults());
        List<Entry> entries = new ArrayList<>();
        for (Command c : log) {
            entries.add(entry(c));
        }
        one.apply(entries);
        for (int i = 0; i < entries.size(); i += 4) {
            other.apply(entries.subList(i, Math.min(entries.size(), i + 4)));
        }
        assertThat(groupRecords(otherEngine)).isEqualTo(groupRecords(oneEngine)).hasSizeGreaterThan(10);
    }

    @Test
    void severalKeysAreReadTogetherAndAClosedReplicaSaysSo() {
        KvStateMachine sm = ownsAll(engine("g"), StateMachineSettings.defaults());
        apply(sm, put(5, 1, 1, 10, "a", "1"));
        apply(sm, put(5, 2, 1, 11, "c", "3"));
        List<Optional<byte[]>> values = sm.getAll(List.of(b("a"), b("b"), b("c")), Long.MAX_VALUE);
        assertThat(values).hasSize(3);
        assertThat(s(values.get(0).orElseThrow())).isEqualTo("1");
        assertThat(values.get(1)).isEmpty();
        assertThat(s(values.get(2).orElseThrow())).isEqualTo("3");
        assertThat(sm.isClosed()).isFalse();
        sm.close();
        assertThat(sm.isClosed()).isTrue();
    }

    @Test
    void aRetriedSequenceReturnsTheFirstReplyWithoutApplyingAgain() {
        KvStateMachine sm = ownsAll(engine("e"), StateMachineSettings.defaults());
        apply(sm, put(5, 1, 1, 10, "k", "v"));
        CommandResult first = apply(sm, del(5, 2, 1, 11, "k"));
        assertThat(first.found()).containsExactly(true);
        apply(sm, put(6, 1, 1, 12, "k", "other"));

        CommandResult retry = apply(sm, del(5, 2, 1, 13, "k"));
        assertThat(retry.found()).containsExactly(true);
        assertThat(s(sm.get(b("k")).orElseThrow())).isEqualTo("other");
        CommandResult retriedPut = apply(sm, put(5, 1, 1, 14, "k", "again"));
        assertThat(retriedPut.isOk()).isTrue();
        assertThat(s(sm.get(b("k")).orElseThrow())).isEqualTo("other");
    }

    @Test
    void firstIncompleteDropsAcknowledgedRepliesAndRefusesTheirSequences() {
        KvStateMachine sm = ownsAll(engine("e"), new StateMachineSettings(1_000_000, 1000, 1000, 3));
        apply(sm, put(5, 1, 1, 10, "a", "1"));
        apply(sm, put(5, 2, 1, 10, "b", "2"));
        apply(sm, put(5, 3, 1, 10, "c", "3"));
        CommandResult full = apply(sm, put(5, 4, 1, 10, "d", "4"));
        assertThat(full.code()).isEqualTo(CommandResult.INVALID_ARGUMENT);
        assertThat(full.message()).contains("too many outstanding writes");
        assertThat(sm.get(b("d"))).isEmpty();

        assertThat(apply(sm, put(5, 4, 3, 10, "d", "4")).isOk()).isTrue();
        CommandResult stale = apply(sm, put(5, 1, 1, 10, "a", "late"));
        assertThat(stale.code()).isEqualTo(CommandResult.INVALID_ARGUMENT);
        assertThat(stale.message()).contains("already acknowledged");
        assertThat(s(sm.get(b("a")).orElseThrow())).isEqualTo("1");
    }

    @Test
    void acknowledgedRepliesAndExpiredSessionsAreDeleted() {
        KvEngine engine = engine("e");
        KvStateMachine sm = ownsAll(engine, new StateMachineSettings(1_000, 1, 1000, 1024));
        for (long seq = 1; seq <= 3; seq++) {
            apply(sm, put(7, seq, 1, 1_000 + seq, "k", "v" + seq));
        }
        assertThat(replySequences(engine, 7)).containsExactly(1L, 2L, 3L);
        for (long seq = 4; seq <= 50; seq++) {
            apply(sm, put(7, seq, seq, 1_000 + seq, "k", "v" + seq));
        }
        assertThat(replySequences(engine, 7)).as("each write acknowledged every earlier one").containsExactly(50L);

        apply(sm, put(8, 1, 1, 5_000, "other", "x"));
        assertThat(sm.sessionCount()).as("client 7's session expired").isEqualTo(1);
        assertThat(replySequences(engine, 7)).isEmpty();
        assertThat(engine.get(KvKeys.client(GROUP, 7))).isNull();
        assertThat(s(sm.get(b("k")).orElseThrow())).isEqualTo("v50");
    }

    /** The sequences of the replies stored for {@code clientId} in GROUP. */
    private static List<Long> replySequences(KvEngine engine, long clientId) {
        List<Long> sequences = new ArrayList<>();
        byte[] session = KvKeys.client(GROUP, clientId);
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            for (it.seek(session); it.isValid() && startsWith(it.key(), session); it.next()) {
                if (it.key().length > session.length) {
                    sequences.add(KvKeys.sequenceOf(it.key()));
                }
            }
        }
        return sequences;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Test
    void sessionsExpireByTheLogClock() {
        KvStateMachine sm = ownsAll(engine("e"), new StateMachineSettings(1_000, 1, 1000, 1024));
        apply(sm, put(1, 1, 1, 1_000, "a", "1"));
        apply(sm, put(2, 1, 1, 1_500, "b", "1"));
        assertThat(sm.sessionCount()).isEqualTo(2);
        apply(sm, put(2, 2, 1, 2_400, "b", "2"));
        assertThat(sm.sessionCount()).isEqualTo(1);
        // The expired client's retry is refused, not applied a second time over a later write.
        long late = ClientIds.newId(100, 0, new java.util.Random(3));
        apply(sm, put(late, 1, 1, 2_401, "a", "x"));
        CommandResult retry = apply(sm, put(1, 1, 1, 2_402, "a", "1"));
        assertThat(retry.code()).isEqualTo(CommandResult.SESSION_EXPIRED);
        assertThat(retry.message()).contains("no longer has the session of client 1");
        assertThat(s(sm.get(b("a")).orElseThrow())).isEqualTo("x");
        // A leader with a slow clock does not turn the log's clock back.
        apply(sm, put(2, 3, 1, 5, "b", "3"));
        assertThat(sm.sessionCount()).isEqualTo(2);
    }

    @Test
    void sessionsAreBoundedAndAnEvictedClientsRetryIsRefusedNeverAppliedTwice() {
        KvEngine engine = engine("e");
        KvStateMachine sm = ownsAll(engine, new StateMachineSettings(3_600_000, 1000, 1000, 1024, 100));
        java.util.Random random = new java.util.Random(7);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            long id = ClientIds.newId(1_000 + i, 0, random);
            ids.add(id);
            assertThat(apply(sm, put(id, 1, 1, 10_000 + i, "k" + i, "v")).isOk()).isTrue();
            assertThat(sm.sessionCount()).isLessThanOrEqualTo(100);
        }
        assertThat(sm.sessionCount()).isEqualTo(100);
        // The oldest clients were evicted: their retries are refused and change nothing.
        CommandResult retry = apply(sm, put(ids.get(0), 1, 1, 20_000, "k0", "again"));
        assertThat(retry.code()).isEqualTo(CommandResult.SESSION_EXPIRED);
        assertThat(retry.configVersion()).as("the horizon").isEqualTo(ClientIds.stampOf(ids.get(899)));
        assertThat(s(sm.get(b("k0")).orElseThrow())).isEqualTo("v");
        // A recent client's retry still gets its first reply; a client stamped after the horizon is new.
        assertThat(apply(sm, put(ids.get(999), 1, 1, 20_001, "k999", "again")).isOk()).isTrue();
        assertThat(s(sm.get(b("k999")).orElseThrow())).isEqualTo("v");
        long fresh = ClientIds.newId(0, retry.configVersion(), random);
        assertThat(apply(sm, put(fresh, 1, 1, 20_002, "new", "yes")).isOk()).isTrue();
        // All of it survives a reopen (and so a snapshot): bound, horizon, replies.
        KvStateMachine reopened = KvStateMachine.open(GROUP, engine, new StateMachineSettings(3_600_000, 1000, 1000,
                1024, 100));
        assertThat(reopened.sessionCount()).isEqualTo(100);
        nextIndex = reopened.appliedIndex() + 1;
        assertThat(apply(reopened, put(ids.get(1), 1, 1, 20_003, "k1", "again")).code())
                .isEqualTo(CommandResult.SESSION_EXPIRED);
        assertThat(apply(reopened, put(fresh, 1, 1, 20_004, "new", "no")).isOk()).isTrue();
        assertThat(s(reopened.get(b("new")).orElseThrow())).as("the retry of fresh's write 1 got its reply")
                .isEqualTo("yes");
    }

    @Test
    void aMillionDistinctClientsLeaveNoMoreThanTheBoundInMemoryOrOnDisk() {
        KvEngine engine = engine("e");
        KvStateMachine sm = ownsAll(engine, new StateMachineSettings(3_600_000, 1000, 1_000_000, 1024, 1_000));
        java.util.Random random = new java.util.Random(11);
        for (int batch = 0; batch < 1_000; batch++) {
            List<Entry> entries = new ArrayList<>(1_000);
            for (int i = 0; i < 1_000; i++) {
                long id = ClientIds.newId(1_000_000 + batch, 0, random);
                entries.add(entry(put(id, 1, 1, 1_000_000L + batch * 1_000L + i, "k" + (i % 10), "v")));
            }
            sm.apply(entries);
            assertThat(sm.sessionCount()).isLessThanOrEqualTo(1_000);
        }
        assertThat(sm.sessionCount()).isEqualTo(1_000);
        long stored = 0;
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            byte[] end = KvKeys.groupEnd(KvKeys.CLIENT, GROUP);
            for (it.seek(KvKeys.groupStart(KvKeys.CLIENT, GROUP)); it.isValid() && KvKeys.compare(it.key(), end) < 0;
                 it.next()) {
                stored++;
            }
        }
        // A session and its one reply per client, and the horizon.
        assertThat(stored).isEqualTo(2 * 1_000 + 1);
    }

    @Test
    void oneCommandMovesTheLogClockAheadByABoundedStepOnly() {
        assertThat(KvStateMachine.nextClock(0, 5_000)).isEqualTo(5_000);
        assertThat(KvStateMachine.nextClock(5_000, 4_000)).as("never back").isEqualTo(5_000);
        assertThat(KvStateMachine.nextClock(5_000, 6_000)).isEqualTo(6_000);
        assertThat(KvStateMachine.nextClock(5_000, Long.MAX_VALUE)).as("a year ahead, or forged")
                .isEqualTo(5_000 + KvStateMachine.MAX_CLOCK_STEP_MILLIS);

        // A leader a day ahead cannot expire a session with a 1 h TTL by itself.
        KvStateMachine sm = ownsAll(engine("e"), new StateMachineSettings(3_600_000, 1, 1000, 1024));
        apply(sm, put(1, 1, 1, 1_000, "a", "1"));
        apply(sm, put(2, 1, 1, 1_000 + 86_400_000L, "b", "1"));
        assertThat(sm.sessionCount()).isEqualTo(2);
    }

    @Test
    void aWriteToASlotTheGroupDoesNotOwnFailsAtApplyAndIsNotRemembered() {
        KvStateMachine sm = KvStateMachine.open(GROUP, engine("e"), StateMachineSettings.defaults());
        int slotA = Slots.of(b("a"));
        apply(sm, new Command.AssignSlots(1, 42, List.of(slotA)));
        assertThat(Slots.of(b("b"))).isNotEqualTo(slotA);
        CommandResult wrong = apply(sm, new Command.Write(new Command.Session(1, 1, 1), 2,
                List.of(Command.Op.put(b("a"), b("1")), Command.Op.put(b("b"), b("2")))));
        assertThat(wrong.code()).isEqualTo(CommandResult.WRONG_GROUP);
        assertThat(wrong.configVersion()).isEqualTo(42);
        assertThat(sm.get(b("a"))).isEmpty();

        apply(sm, new Command.AssignSlots(3, 43, List.of(Slots.of(b("b")))));
        assertThat(apply(sm, new Command.Write(new Command.Session(1, 1, 1), 4,
                List.of(Command.Op.put(b("a"), b("1")), Command.Op.put(b("b"), b("2"))))).isOk()).isTrue();
        assertThat(s(sm.get(b("b")).orElseThrow())).isEqualTo("2");
        assertThat(sm.ownedSlots().configVersion()).isEqualTo(43);
    }

    /** Every key and value of GROUP (data, sessions, slots, apply state), in key order, as text. */
    private static List<String> groupRecords(KvEngine engine) {
        List<String> records = new ArrayList<>();
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            for (byte kind : KvKeys.GROUP_KINDS) {
                byte[] end = KvKeys.groupEnd(kind, GROUP);
                for (it.seek(KvKeys.groupStart(kind, GROUP)); it.isValid() && KvKeys.compare(it.key(), end) < 0;
                     it.next()) {
                    records.add(HexFormat.of().formatHex(it.key()) + "=" + HexFormat.of().formatHex(it.value()));
                }
            }
        }
        return records;
    }

    @Test
    void aSnapshotRestoresTheWholeGroupElsewhere() throws IOException {
        KvEngine sourceEngine = engine("src");
        KvStateMachine source = ownsAll(sourceEngine, StateMachineSettings.defaults());
        apply(source, put(1, 1, 1, 10, "a", "1"));
        apply(source, del(1, 2, 1, 11, "a"));
        apply(source, put(1, 3, 1, 12, "b", "2"));
        SnapshotImage pinned = source.captureImage();
        // Applies after the capture are not in the image: it is the state at the capture.
        apply(source, put(1, 4, 1, 13, "late", "x"));
        SnapshotStore store = SnapshotStore.open(dir.resolve("snapshots"));
        SnapshotFiles image = store.files(SnapshotBuilder.writeToStore(store, GROUP,
                new SnapshotMetadata(4, 2, ConfState.ofVoters(1L)), pinned));
        assertThat(image.manifest().getFilesList()).extracting(f -> f.getName())
                .containsExactly("a-0.sst", "c-0.sst", "d-0.sst", "s-0.sst");

        KvEngine targetEngine = engine("dst");
        KvStateMachine other = KvStateMachine.open(GROUP + 1, targetEngine, StateMachineSettings.defaults());
        nextIndex = 1;
        apply(other, new Command.AssignSlots(1, 1, ALL_SLOTS));
        apply(other, put(0, 0, 0, 1, "untouched", "yes"));
        KvStateMachine target = KvStateMachine.open(GROUP, targetEngine, StateMachineSettings.defaults());
        apply(target, new Command.AssignSlots(1, 1, List.of(1)));
        apply(target, put(0, 0, 0, 1, "junk", "x"));

        target.restore(new SnapshotMetadata(4, 2, ConfState.ofVoters(1L)), image);
        assertThat(target.appliedIndex()).isEqualTo(4);
        assertThat(target.durableAppliedIndex()).isEqualTo(4);
        assertThat(target.get(b("junk"))).isEmpty();
        assertThat(target.get(b("late"))).isEmpty();
        assertThat(target.get(b("a"))).isEmpty();
        assertThat(s(target.get(b("b")).orElseThrow())).isEqualTo("2");
        assertThat(target.ownedSlots().count()).isEqualTo(Slots.COUNT);
        assertThat(s(other.get(b("untouched")).orElseThrow())).isEqualTo("yes");
        // The sessions came along: a retry gets its first reply.
        nextIndex = 5;
        assertThat(apply(target, del(1, 2, 1, 13, "b")).found()).containsExactly(true);
        assertThat(s(target.get(b("b")).orElseThrow())).isEqualTo("2");
    }

    @Test
    void aRestoreCutShortAfterTheOldKeysWentIsDoneAgainFromTheSameFiles() throws IOException {
        KvStateMachine source = ownsAll(engine("src"), StateMachineSettings.defaults());
        apply(source, put(1, 1, 1, 10, "a", "1"));
        SnapshotMetadata at = new SnapshotMetadata(2, 1, ConfState.ofVoters(1L));
        SnapshotStore store = SnapshotStore.open(dir.resolve("snapshots"));
        SnapshotFiles image = store.files(SnapshotBuilder.writeToStore(store, GROUP, at, source.captureImage()));

        KvEngine targetEngine = engine("dst");
        nextIndex = 1;
        KvStateMachine target = ownsAll(targetEngine, StateMachineSettings.defaults());
        apply(target, put(7, 1, 1, 10, "old", "x"));
        // The process died right after the old keys were deleted, before the ingestion.
        targetEngine.deleteGroup(GROUP);
        KvStateMachine reopened = KvStateMachine.open(GROUP, targetEngine, StateMachineSettings.defaults());
        assertThat(reopened.appliedIndex()).as("an empty group: the runtime restores it again").isZero();

        reopened.restore(at, image);
        assertThat(reopened.appliedIndex()).isEqualTo(2);
        assertThat(s(reopened.get(b("a")).orElseThrow())).isEqualTo("1");
        assertThat(reopened.get(b("old"))).isEmpty();
        // The apply state was in the files, so they were moved into RocksDB, not copied.
        assertThat(image.paths()).noneMatch(java.nio.file.Files::exists);
        KvStateMachine afterRestart = KvStateMachine.open(GROUP, targetEngine, StateMachineSettings.defaults());
        assertThat(afterRestart.durableAppliedIndex()).isEqualTo(2);
    }

    @Test
    void scanMergesSlotsInKeyOrderAndPagesByCursor() {
        KvEngine engine = engine("e");
        KvStateMachine sm = ownsAll(engine, StateMachineSettings.defaults());
        List<Entry> puts = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String k = String.format("k%03d", i);
            keys.add(k);
            puts.add(entry(put(0, 0, 0, 1, k, "v" + i)));
        }
        sm.apply(puts);
        KvStateMachine neighbour = KvStateMachine.open(GROUP + 1, engine, StateMachineSettings.defaults());
        nextIndex = 1;
        apply(neighbour, new Command.AssignSlots(1, 1, ALL_SLOTS));
        apply(neighbour, put(0, 0, 0, 1, "k100x", "other group"));

        List<String> seen = new ArrayList<>();
        byte[] from = b("k050");
        boolean exclusive = false;
        int pages = 0;
        while (true) {
            ScanPage page = sm.scan(sm.ownedSlots().list(), from, exclusive, b("k150"), 30, Long.MAX_VALUE);
            page.keys().forEach(k -> seen.add(s(k)));
            pages++;
            if (!page.more()) {
                break;
            }
            from = page.lastKey();
            exclusive = true;
        }
        assertThat(seen).containsExactlyElementsOf(keys.subList(50, 150));
        assertThat(pages).isEqualTo(4);
        assertThat(s(sm.scan(sm.ownedSlots().list(), b("k199"), false, new byte[0], 10, Long.MAX_VALUE).values().get(0))).isEqualTo("v199");
    }

    @Test
    void readAnswersAreBoundedInBytesNotOnlyInCount() {
        KvStateMachine sm = ownsAll(engine("e"), StateMachineSettings.defaults());
        String big = "x".repeat(100_000);
        for (int i = 0; i < 20; i++) {
            apply(sm, put(0, 0, 0, 10 + i, String.format("k%02d", i), big));
        }
        // A page stops once it holds 250 kB: three values (the third passes the budget), then "more".
        ScanPage page = sm.scan(sm.ownedSlots().list(), b("k"), false, new byte[0], 1000, 250_000);
        assertThat(page.keys()).extracting(KvStateMachineTest::s).containsExactly("k00", "k01", "k02");
        assertThat(page.more()).isTrue();
        // A budget smaller than one value still makes progress: one pair per page.
        assertThat(sm.scan(sm.ownedSlots().list(), b("k05"), true, new byte[0], 1000, 10).keys()).extracting(KvStateMachineTest::s)
                .containsExactly("k06");
        // A batch read over the budget is refused before it holds more than the budget and one value.
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(b(String.format("k%02d", i)));
        }
        assertThatThrownBy(() -> sm.getAll(keys, 1_000_000)).isInstanceOf(ResponseTooLargeException.class)
                .hasMessageContaining("first 10 keys").hasMessageContaining("smaller batches");
        assertThat(sm.getAll(keys.subList(0, 9), 1_000_000)).allMatch(Optional::isPresent);
    }

    @Test
    void theDurableIndexAdvancesOnlyWhenTheWalIsSynced() {
        KvStateMachine sm = KvStateMachine.open(GROUP, engine("e"), new StateMachineSettings(1000, 1000, 3, 1024));
        apply(sm, new Command.AssignSlots(1, 1, ALL_SLOTS));
        apply(sm, put(0, 0, 0, 1, "a", "1"));
        assertThat(sm.durableAppliedIndex()).isZero();
        apply(sm, put(0, 0, 0, 1, "b", "1"));
        assertThat(sm.durableAppliedIndex()).isEqualTo(3);
    }
}

package io.shardkv.kv.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.ScanPage;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
        KvStateMachine one = KvStateMachine.open(GROUP, engine("one"), StateMachineSettings.defaults());
        KvStateMachine other = KvStateMachine.open(GROUP, engine("other"), StateMachineSettings.defaults());
        List<Entry> entries = new ArrayList<>();
        for (Command c : log) {
            entries.add(entry(c));
        }
        one.apply(entries);
        for (int i = 0; i < entries.size(); i += 4) {
            other.apply(entries.subList(i, Math.min(entries.size(), i + 4)));
        }
        assertThat(other.snapshotData()).isEqualTo(one.snapshotData());
    }

    @Test
    void severalKeysAreReadTogetherAndAClosedReplicaSaysSo() {
        KvStateMachine sm = ownsAll(engine("g"), StateMachineSettings.defaults());
        apply(sm, put(5, 1, 1, 10, "a", "1"));
        apply(sm, put(5, 2, 1, 11, "c", "3"));
        List<Optional<byte[]>> values = sm.getAll(List.of(b("a"), b("b"), b("c")));
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
    void sessionsExpireByTheLogClock() {
        KvStateMachine sm = ownsAll(engine("e"), new StateMachineSettings(1_000, 1, 1000, 1024));
        apply(sm, put(1, 1, 1, 1_000, "a", "1"));
        apply(sm, put(2, 1, 1, 1_500, "b", "1"));
        assertThat(sm.sessionCount()).isEqualTo(2);
        apply(sm, put(2, 2, 1, 2_400, "b", "2"));
        assertThat(sm.sessionCount()).isEqualTo(1);
        // The expired client's retry is a new write now: its reply is gone.
        apply(sm, put(3, 1, 1, 2_401, "a", "x"));
        apply(sm, put(1, 1, 1, 2_402, "a", "1"));
        assertThat(s(sm.get(b("a")).orElseThrow())).isEqualTo("1");
        // A leader with a slow clock does not turn the log's clock back.
        apply(sm, put(2, 3, 1, 5, "b", "3"));
        assertThat(sm.sessionCount()).isEqualTo(3);
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

    @Test
    void aSnapshotRestoresTheWholeGroupElsewhere() {
        KvStateMachine source = ownsAll(engine("src"), StateMachineSettings.defaults());
        apply(source, put(1, 1, 1, 10, "a", "1"));
        apply(source, del(1, 2, 1, 11, "a"));
        apply(source, put(1, 3, 1, 12, "b", "2"));
        byte[] image = source.snapshotData();
        assertThat(source.durableAppliedIndex()).isEqualTo(source.appliedIndex());

        KvEngine targetEngine = engine("dst");
        KvStateMachine other = KvStateMachine.open(GROUP + 1, targetEngine, StateMachineSettings.defaults());
        nextIndex = 1;
        apply(other, new Command.AssignSlots(1, 1, ALL_SLOTS));
        apply(other, put(0, 0, 0, 1, "untouched", "yes"));
        KvStateMachine target = KvStateMachine.open(GROUP, targetEngine, StateMachineSettings.defaults());
        apply(target, new Command.AssignSlots(1, 1, List.of(1)));
        apply(target, put(0, 0, 0, 1, "junk", "x"));

        target.restore(new Snapshot(new SnapshotMetadata(4, 2, ConfState.ofVoters(1L)), image));
        assertThat(target.appliedIndex()).isEqualTo(4);
        assertThat(target.get(b("junk"))).isEmpty();
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
            ScanPage page = sm.scan(from, exclusive, b("k150"), 30);
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
        assertThat(s(sm.scan(b("k199"), false, new byte[0], 10).values().get(0))).isEqualTo("v199");
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

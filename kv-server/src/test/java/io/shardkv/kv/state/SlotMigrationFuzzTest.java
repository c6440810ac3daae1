package io.shardkv.kv.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.proto.AbortMigration;
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
import io.shardkv.raft.core.Entry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration steps under random interleavings, seeded and replayable: client writes sent to
 * either group (as clients with an old or a new map do), retries of writes already applied,
 * importer pages proposed twice or out of date, restarts of both replicas from their stored
 * state, and aborts at any point before the commit. After every step at most one group serves
 * each slot, and at the end the group that serves the slots holds exactly what the acknowledged
 * writes left, each applied once. A failing seed is printed; {@code -Dmigration.fuzz.seed=N}
 * replays it alone.
 */
class SlotMigrationFuzzTest {
    private static final long SOURCE = 1;
    private static final long TARGET = 2;
    private static final List<Integer> MOVING = List.of(10, 11, 12, 13);
    private static final List<Integer> ALL = IntStream.range(0, Slots.COUNT).boxed().toList();

    @TempDir
    Path dir;

    @Test
    void randomInterleavingsKeepOneOwnerAndEveryAcknowledgedWrite() throws Exception {
        String only = System.getProperty("migration.fuzz.seed");
        List<Long> seeds = new ArrayList<>();
        if (only != null) {
            seeds.add(Long.parseLong(only));
        } else {
            for (long s = 1; s <= 40; s++) {
                seeds.add(s);
            }
        }
        for (long seed : seeds) {
            try {
                new Run(seed, dir.resolve("seed-" + seed)).run();
            } catch (Throwable t) {
                throw new AssertionError("migration fuzz seed " + seed + " failed (replay: -Dmigration.fuzz.seed="
                        + seed + "): " + t.getMessage(), t);
            }
        }
    }

    /** One seeded run. */
    private static final class Run {
        private final Random random;
        private final Path path;
        private final long migration;
        private KvEngine engine;
        private KvStateMachine source;
        private KvStateMachine target;
        private final long[] index = {0, 1, 1};
        private final List<String> keys = new ArrayList<>();
        /** What the acknowledged writes left. */
        private final Map<String, String> model = new TreeMap<>();
        /** Writes acknowledged with a session, to retry later: client -> (sequence -> (key, value)). */
        private final Map<Long, Map<Long, String[]>> applied = new HashMap<>();
        private final Map<Long, Long> nextSequence = new HashMap<>();
        private MigrationCommand lastImport;
        private boolean committed;
        private boolean aborted;
        private boolean retired;
        private int values;

        Run(long seed, Path path) {
            this.random = new Random(seed);
            this.path = path;
            this.migration = 100 + seed;
        }

        private static byte[] b(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        void run() throws Exception {
            engine = KvEngine.open(path);
            try {
                source = KvStateMachine.open(SOURCE, engine, StateMachineSettings.defaults());
                target = KvStateMachine.open(TARGET, engine, StateMachineSettings.defaults());
                apply(source, new Command.AssignSlots(1, 1, ALL));
                for (int i = 0; keys.size() < 40; i++) {
                    String k = "k" + i;
                    if (MOVING.contains(Slots.of(b(k))) || (i % 7 == 0 && keys.size() < 10)) {
                        keys.add(k);
                    }
                }
                for (String k : keys) {
                    write(source, 0, k);
                }
                step(MigrationCommand.newBuilder().setPrepareImport(PrepareImport.newBuilder().addAllSlots(MOVING)
                        .setSourceGroupId(SOURCE)), target, true);
                step(MigrationCommand.newBuilder().setBegin(BeginMigration.newBuilder().addAllSlots(MOVING)
                        .setTargetGroupId(TARGET)), source, true);
                for (int n = 0; n < 400 && !retired && !aborted; n++) {
                    int choice = random.nextInt(100);
                    if (choice < 40) {
                        write(random.nextBoolean() ? source : target, 1 + random.nextInt(3),
                                keys.get(random.nextInt(keys.size())));
                    } else if (choice < 50) {
                        retry();
                    } else if (choice < 85) {
                        importerStep();
                    } else if (choice < 92) {
                        schedulerStep();
                    } else if (choice < 97) {
                        restart();
                    } else if (choice < 98 && !committed) {
                        abort();
                    }
                    checkOneOwner();
                }
                while (!retired && !aborted) {
                    if (!importerStep()) {
                        schedulerStep();
                    }
                    checkOneOwner();
                }
                KvStateMachine owner = retired ? target : source;
                for (String k : keys) {
                    String want = model.get(k);
                    KvStateMachine holder = MOVING.contains(Slots.of(b(k))) ? owner : source;
                    String have = holder.get(b(k)).map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
                    assertThat(have).as("key %s (slot %d) at group %d", k, Slots.of(b(k)), holder.groupId())
                            .isEqualTo(want);
                }
                KvStateMachine other = retired ? source : target;
                for (int slot : MOVING) {
                    assertThat(owner.ownedSlots().owns(slot)).isTrue();
                    assertThat(other.ownedSlots().owns(slot)).isFalse();
                }
                for (String k : keys) {
                    if (MOVING.contains(Slots.of(b(k)))) {
                        assertThat(other.get(b(k))).as("%s left behind at group %d", k, other.groupId()).isEmpty();
                    }
                }
            } finally {
                engine.close();
            }
        }

        private CommandResult apply(KvStateMachine sm, Command c) {
            int g = (int) sm.groupId();
            Entry e = Entry.normal(1, index[g]++, CommandCodec.encode(c));
            return CommandResult.decode(sm.apply(List.of(e)).get(0));
        }

        private CommandResult step(MigrationCommand.Builder c, KvStateMachine sm, boolean mustApply) {
            CommandResult r = apply(sm, new Command.Migration(5, c.setMigrationId(migration).build()));
            if (mustApply) {
                assertThat(r.isOk()).as("%s: %s", c.getStepCase(), r.message()).isTrue();
            }
            return r;
        }

        /** A write by client {@code client} (0: none) to group {@code sm}; the model follows what was acknowledged. */
        private void write(KvStateMachine sm, long client, String key) {
            String value = "v" + (++values);
            long seq = client == 0 ? 0 : nextSequence.merge(client, 1L, Long::sum);
            Command.Session session = client == 0 ? Command.Session.NONE : new Command.Session(client, seq, 1);
            CommandResult r = apply(sm, new Command.Write(session, 10, List.of(Command.Op.put(b(key), b(value)))));
            boolean serves = sm.ownedSlots().owns(Slots.of(b(key)));
            if (r.isOk()) {
                model.put(key, value);
                if (client != 0) {
                    applied.computeIfAbsent(client, c -> new HashMap<>()).put(seq, new String[] {key, value});
                }
            } else {
                assertThat(r.code()).isIn(CommandResult.SLOT_MIGRATING, CommandResult.WRONG_GROUP);
                assertThat(serves).as("refused by a group that serves the slot").isFalse();
            }
        }

        /** A retry of an acknowledged write, at either group: never applied again. */
        private void retry() {
            List<Long> clients = new ArrayList<>(applied.keySet());
            if (clients.isEmpty()) {
                return;
            }
            long client = clients.get(random.nextInt(clients.size()));
            List<Long> seqs = new ArrayList<>(applied.get(client).keySet());
            long seq = seqs.get(random.nextInt(seqs.size()));
            String[] kv = applied.get(client).get(seq);
            KvStateMachine sm = random.nextBoolean() ? source : target;
            CommandResult r = apply(sm, new Command.Write(new Command.Session(client, seq, 1), 10,
                    List.of(Command.Op.put(b(kv[0]), b(kv[1])))));
            if (r.isOk()) {
                // Answered from the first reply: the value is whatever the latest write left.
                String have = sm.get(b(kv[0])).map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
                if (sm.ownedSlots().owns(Slots.of(b(kv[0])))) {
                    assertThat(have).as("retry of %d/%d applied twice", client, seq).isEqualTo(model.get(kv[0]));
                }
            }
        }

        /** One importer action: the next page, or an old one again. False when there was nothing to do. */
        private boolean importerStep() {
            if (lastImport != null && random.nextInt(5) == 0) {
                apply(target, new Command.Migration(5, lastImport)); // a duplicate or stale proposal
                return true;
            }
            MigrationRecord r = target.migration(migration).orElse(null);
            MigrationRecord s = source.migration(migration).orElse(null);
            if (r == null || s == null || r.getReady()) {
                return false;
            }
            MigrationCommand.Builder c = MigrationCommand.newBuilder().setMigrationId(migration);
            if (!r.getCopyDone()) {
                MigrationReads.DataPage page = source.pullData(s, r.getCopyCursor(), 1 + random.nextInt(200));
                c.setImportChunk(ImportChunk.newBuilder().setFromCursor(r.getCopyCursor()).addAllPairs(page.pairs())
                        .setNextCursor(page.nextCursor()).setDone(page.done()));
            } else if (r.getJournalSeq() < s.getJournalSeq()) {
                c.setImportJournal(ImportJournal.newBuilder().setFromSeq(r.getJournalSeq() + 1).addAllRecords(
                        source.pullJournal(migration, r.getJournalSeq() + 1, 1 + random.nextInt(300))));
            } else if (!s.getFrozen()) {
                return false;
            } else if (!r.getSessionsDone()) {
                long after = r.getSessionsCursor().isEmpty() ? 0 : r.getSessionsCursor().asReadOnlyByteBuffer().getLong();
                SessionImage.Page page = source.pullSessions(after, 1 + random.nextInt(100));
                ImportSessions.Builder sb = ImportSessions.newBuilder().setHorizon(page.horizon()).setDone(page.done())
                        .setNextCursor(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(page.lastClient()).array()));
                page.sessions().forEach(x -> sb.addSessions(ByteString.copyFrom(x)));
                c.setImportSessions(sb);
            } else {
                c.setImportReady(ImportReady.newBuilder().setJournalEnd(s.getJournalEnd()));
            }
            lastImport = c.build();
            CommandResult result = apply(target, new Command.Migration(5, lastImport));
            assertThat(result.isOk()).as("%s: %s", lastImport.getStepCase(), result.message()).isTrue();
            return true;
        }

        /** The meta-server's next step, when its condition holds. */
        private void schedulerStep() {
            MigrationRecord r = target.migration(migration).orElse(null);
            MigrationRecord s = source.migration(migration).orElse(null);
            if (s != null && !s.getFrozen() && r != null && r.getCopyDone()) {
                step(MigrationCommand.newBuilder().setFreeze(FreezeMigration.getDefaultInstance()), source, true);
            } else if (r != null && r.getReady() && !committed) {
                committed = true; // the meta log's commit
            } else if (committed && r != null) {
                step(MigrationCommand.newBuilder().setActivate(ActivateImport.newBuilder().setEpoch(1)), target, true);
            } else if (committed && r == null && s != null) {
                step(MigrationCommand.newBuilder().setRetire(RetireSlots.newBuilder().setEpoch(1)), source, true);
                retired = true;
            }
        }

        private void abort() {
            step(MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()), target, true);
            step(MigrationCommand.newBuilder().setAbort(AbortMigration.getDefaultInstance()), source, true);
            aborted = true;
        }

        /** Both replicas restart from what they stored. */
        private void restart() {
            source.syncNow();
            target.syncNow();
            engine.close();
            engine = KvEngine.open(path);
            source = KvStateMachine.open(SOURCE, engine, StateMachineSettings.defaults());
            target = KvStateMachine.open(TARGET, engine, StateMachineSettings.defaults());
        }

        private void checkOneOwner() {
            for (int slot : MOVING) {
                assertThat(source.ownedSlots().owns(slot) && target.ownedSlots().owns(slot))
                        .as("slot %d served by both groups", slot).isFalse();
            }
        }
    }
}

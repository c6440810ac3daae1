package io.shardkv.meta.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.common.Slots;
import io.shardkv.kv.migration.Importer;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskType;
import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.HistoryRecorder;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvModel;
import io.shardkv.raft.linearizability.KvOutput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deterministic simulation of slot moves between three shard groups (DESIGN 5), seeded and
 * replayable: the real meta transition function and scheduler steps, the real kv-server
 * migration calls, importers and state machines (on RocksDB), with clients reading and writing
 * keys of the moving slots through maps that may be stale, while moves are planned and
 * cancelled, and under lost proposals, calls and pulls, isolated servers, leader changes, server
 * restarts and meta leader changes ({@link SimWorld}). Checked after every event: no slot is
 * served by two groups, and no key's value ever comes back once replaced (every write writes a
 * value of its own, so a value that returns is a write applied twice). At the end, with the faults healed: every move finished, each slot is
 * served by exactly its owner in the map, and the clients' whole history, final reads included,
 * is linearizable. A failing seed is printed; {@code -Dmigration.sim.seed=N} replays it alone.
 */
class SlotMigrationSimulationTest {
    private static final int SEEDS = 24;
    private static final int EVENTS = 1_200;
    private static final int CLIENTS = 3;

    @TempDir
    Path dir;

    @Test
    void slotMovesUnderFaultsKeepOneOwnerAndALinearizableHistory() {
        String only = System.getProperty("migration.sim.seed");
        List<Long> seeds = new ArrayList<>();
        if (only != null) {
            seeds.add(Long.parseLong(only));
        } else {
            for (long s = 1; s <= SEEDS; s++) {
                seeds.add(s);
            }
        }
        int moves = 0;
        int aborted = 0;
        for (long seed : seeds) {
            SimRun run = new SimRun(seed, dir.resolve("seed-" + seed));
            try {
                run.run();
            } catch (Throwable t) {
                throw new AssertionError("slot-migration simulation seed " + seed + " failed at event " + run.event
                        + " (replay: -Dmigration.sim.seed=" + seed + "): " + t.getMessage(), t);
            }
            moves += run.movesDone;
            aborted += run.movesAborted;
        }
        // The runs must have moved slots, and aborted some, or they proved little.
        assertThat(moves).as("moves completed over all seeds").isGreaterThan(seeds.size());
        if (only == null) {
            assertThat(aborted).as("moves aborted over all seeds").isPositive();
        }
    }

    /** One client: one operation at a time, retried (same sequence) until it is answered or given up. */
    private static final class SimClient {
        final long id;
        ClusterMap map;
        long nextSequence = 1;
        /** The operation in flight: its history id, input and write sequence; -1 when none. */
        long op = -1;
        KvInput input;
        long sequence;
        int attempts;

        SimClient(long id, ClusterMap map) {
            this.id = id;
            this.map = map;
        }
    }

    private static final class SimRun {
        private final long seed;
        private final Path dir;
        private SimWorld world;
        private final HistoryRecorder<KvInput, KvOutput> history = new HistoryRecorder<>();
        private final List<String> keys = new ArrayList<>();
        private final TreeSet<Integer> hotSlots = new TreeSet<>();
        private final List<SimClient> clients = new ArrayList<>();
        private long values;
        /** Per key: the value it holds now at the group serving it, and the values it held before. */
        private final java.util.Map<String, String> current = new java.util.HashMap<>();
        private final java.util.Map<String, java.util.Set<String>> replaced = new java.util.HashMap<>();
        int event;
        int movesDone;
        int movesAborted;

        SimRun(long seed, Path dir) {
            this.seed = seed;
            this.dir = dir;
        }

        void run() {
            world = new SimWorld(seed, dir);
            try {
                for (int i = 0; keys.size() < 8; i++) {
                    String k = "sim-" + i;
                    keys.add(k);
                    hotSlots.add(Slots.of(b(k)));
                }
                for (int c = 0; c < CLIENTS; c++) {
                    clients.add(new SimClient(1_000 + c, world.map));
                }
                for (event = 0; event < EVENTS; event++) {
                    world.clockMillis += 1 + world.random.nextInt(60);
                    int choice = world.random.nextInt(100);
                    if (choice < 45) {
                        clientStep(clients.get(world.random.nextInt(clients.size())));
                    } else if (choice < 70) {
                        importerStep();
                    } else if (choice < 88) {
                        world.schedulerPass();
                    } else if (choice < 93) {
                        planMove();
                    } else if (choice < 94) {
                        cancelMove();
                    } else {
                        world.fault();
                    }
                    checkOneServer();
                    checkNoValueReturns();
                }
                finish();
            } finally {
                world.close();
            }
        }

        private static byte[] b(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        private void planMove() {
            List<Integer> slots = new ArrayList<>(hotSlots);
            java.util.Collections.shuffle(slots, world.random);
            List<Integer> chosen = slots.subList(0, 1 + world.random.nextInt(Math.min(3, slots.size())));
            long target = 1 + world.random.nextInt(world.groups.size());
            world.decide(MetaCommand.moveSlots(chosen, target, 0));
        }

        private void cancelMove() {
            List<Task> pending = ClusterMaps.pendingTasks(world.map).stream()
                    .filter(t -> t.getType() == TaskType.MOVE_SLOTS).toList();
            if (!pending.isEmpty()) {
                world.decide(MetaCommand.moveAbort(pending.get(world.random.nextInt(pending.size())).getId(),
                        "cancelled by the simulation"));
            }
        }

        private void importerStep() {
            List<Importer> running = world.importers().stream().filter(i -> !i.stopped()).toList();
            if (running.isEmpty()) {
                return;
            }
            try {
                running.get(world.random.nextInt(running.size())).step();
            } catch (Exception e) {
                // A lost pull or proposal: the importer retries on its next step, as its loop does.
            }
        }

        private void clientStep(SimClient c) {
            if (c.op < 0) {
                String key = keys.get(world.random.nextInt(keys.size()));
                int choice = world.random.nextInt(10);
                c.input = choice < 4 ? KvInput.get(key) : choice < 9 ? KvInput.put(key, "v" + (++values))
                        : KvInput.delete(key);
                c.sequence = c.input instanceof KvInput.Get ? 0 : c.nextSequence++;
                c.attempts = 0;
                c.op = history.invoke(c.id, c.input, world.clockMillis);
            }
            attempt(c);
        }

        /** One attempt at the client's operation, routed by its map; it stays in flight unless answered or given up. */
        private void attempt(SimClient c) {
            c.attempts++;
            String key = keyOf(c.input);
            int slot = Slots.of(b(key));
            long groupId = c.map.getSlots(slot).getGroupId();
            SimGroup g = world.group(groupId);
            if (g == null || world.isolated(g.leader)) {
                giveUpIfTooLong(c);
                return;
            }
            long epoch = c.map.getSlots(slot).getEpoch();
            if (c.input instanceof KvInput.Get) {
                Optional<CommandResult> refused = g.machine.refusal(slot, epoch);
                if (refused.isPresent()) {
                    onRefusal(c, refused.get());
                    return;
                }
                Optional<byte[]> v = g.machine.get(b(key));
                complete(c, v.map(bytes -> (KvOutput) KvOutput.read(new String(bytes, StandardCharsets.UTF_8)))
                        .orElse(KvOutput.absent()));
                return;
            }
            Command.Op op = c.input instanceof KvInput.Put p ? Command.Op.put(b(key), b(p.value()))
                    : Command.Op.delete(b(key));
            byte[] command = CommandCodec.encode(new Command.Write(new Command.Session(c.id, c.sequence, c.sequence),
                    world.clockMillis, List.of(op)));
            // The propose-time check, as the service makes it; the apply-time one decides.
            Optional<CommandResult> early = g.machine.refusal(slot, epoch);
            if (early.isPresent()) {
                onRefusal(c, early.get());
                return;
            }
            CommandResult r;
            try {
                r = CommandResult.decode(world.propose(groupId, g.leader, command).join());
            } catch (CompletionException e) {
                // The write may or may not have applied: retried with the same sequence, through a
                // fresh map, so a retry often reaches the slot's next owner.
                c.map = world.map;
                giveUpIfTooLong(c);
                return;
            }
            if (r.isOk()) {
                complete(c, KvOutput.ack());
            } else {
                onRefusal(c, r);
            }
        }

        private void onRefusal(SimClient c, CommandResult r) {
            assertThat(r.code()).as("refusal of %s: %s", c.input, r.message())
                    .isIn(CommandResult.SLOT_MIGRATING, CommandResult.WRONG_GROUP);
            if (r.code() == CommandResult.WRONG_GROUP) {
                c.map = world.map; // a map refresh
            }
            giveUpIfTooLong(c);
        }

        private void giveUpIfTooLong(SimClient c) {
            if (c.attempts >= 40) {
                history.completeUnknown(c.op);
                c.op = -1;
            } else if (world.random.nextInt(3) == 0) {
                c.map = world.map; // clients refresh their maps now and then
            }
        }

        private void complete(SimClient c, KvOutput out) {
            history.complete(c.op, out, world.clockMillis);
            c.op = -1;
        }

        private static String keyOf(KvInput input) {
            if (input instanceof KvInput.Get g) {
                return g.key();
            }
            if (input instanceof KvInput.Put p) {
                return p.key();
            }
            return ((KvInput.Delete) input).key();
        }

        private void checkOneServer() {
            for (int slot : hotSlots) {
                int serving = 0;
                for (SimGroup g : world.groups.values()) {
                    serving += g.machine.ownedSlots().owns(slot) ? 1 : 0;
                }
                assertThat(serving).as("groups serving slot %d", slot).isLessThanOrEqualTo(1);
            }
        }

        private void checkNoValueReturns() {
            for (String key : keys) {
                int slot = Slots.of(b(key));
                SimGroup server = null;
                for (SimGroup g : world.groups.values()) {
                    if (g.machine.ownedSlots().owns(slot)) {
                        server = g;
                    }
                }
                if (server == null) {
                    continue;
                }
                String now = server.machine.get(b(key)).map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
                String before = current.get(key);
                if (java.util.Objects.equals(now, before)) {
                    continue;
                }
                java.util.Set<String> old = replaced.computeIfAbsent(key, k -> new java.util.HashSet<>());
                assertThat(now == null || !old.contains(now)).as("value %s of %s came back: a write applied twice",
                        now, key).isTrue();
                if (before != null) {
                    old.add(before);
                }
                current.put(key, now);
            }
        }

        /** Heals every fault, lets every move and operation finish, reads every key, checks it all. */
        private void finish() {
            world.heal();
            for (int i = 0; i < 5_000 && !ClusterMaps.pendingTasks(world.map).isEmpty(); i++) {
                world.clockMillis += 20;
                world.schedulerPass();
                for (Importer imp : world.importers()) {
                    if (!imp.stopped()) {
                        try {
                            imp.step();
                        } catch (Exception e) {
                            // retried next round
                        }
                    }
                }
                checkOneServer();
            }
            assertThat(ClusterMaps.pendingTasks(world.map)).as("tasks left after healing").isEmpty();
            for (Task t : world.map.getTasksList()) {
                if (t.getType() == TaskType.MOVE_SLOTS) {
                    if (t.getState() == io.shardkv.meta.proto.TaskState.DONE) {
                        movesDone++;
                    } else {
                        movesAborted++;
                    }
                }
            }
            for (SimClient c : clients) {
                for (int i = 0; c.op >= 0 && i < 50; i++) {
                    c.map = world.map;
                    attempt(c);
                }
            }
            for (int slot : hotSlots) {
                long owner = world.map.getSlots(slot).getGroupId();
                for (SimGroup g : world.groups.values()) {
                    assertThat(g.machine.ownedSlots().owns(slot)).as("group %d serving slot %d (owner %d)", g.id,
                            slot, owner).isEqualTo(g.id == owner);
                }
            }
            SimClient reader = new SimClient(9_999, world.map);
            for (String key : keys) {
                reader.input = KvInput.get(key);
                reader.op = history.invoke(reader.id, reader.input, ++world.clockMillis);
                attempt(reader);
                assertThat(reader.op).as("final read of %s answered", key).isEqualTo(-1);
            }
            CheckReport<KvInput, KvOutput> report = KvModel.checker().check(history.history());
            assertThat(report.isOk()).as("linearizability of %d operations: %s", history.size(), report.explain())
                    .isTrue();
        }
    }
}

package io.shardkv.raft.runtime.sim;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import io.shardkv.raft.runtime.RuntimeConfig;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.storage.MemoryLogEngine;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A simulated kv-server across its lives: what survives a crash (its log engine's disk, its
 * state machines' disks, its snapshot directory) and, while it runs, the real {@link RaftServer}
 * of its current life on a {@link SimScheduler}, a {@link SimTransport} and a {@link
 * MemoryLogEngine}.
 */
final class SimServer {
    final long id;
    private final RuntimeWorld world;
    private final RuntimeConfig config;
    private final long clockOffsetNanos;
    private final MemoryLogEngine.Disk disk = new MemoryLogEngine.Disk();
    private final Map<Long, SimKvMachine.Durable> machineDisks = new TreeMap<>();
    private final Path snapshotDir;
    private SimProcess process;
    private MemoryLogEngine engine;
    private SimScheduler scheduler;
    private SimTransport transport;
    private RaftServer raft;
    private final Map<Long, SimKvMachine> machines = new HashMap<>();
    /**
     * Crash points armed by the nemesis: the next log write, or the next snapshot restore (in
     * this life or a later one), kills the process; a supervisor restarts it soon after.
     */
    boolean crashAtNextWrite;
    boolean crashInNextRestore;
    private int lives;

    SimServer(long id, RuntimeWorld world, RuntimeConfig config, long clockOffsetNanos, Path snapshotDir) {
        this.id = id;
        this.world = world;
        this.config = config;
        this.clockOffsetNanos = clockOffsetNanos;
        this.snapshotDir = snapshotDir;
    }

    boolean isUp() {
        return process != null && process.isAlive();
    }

    boolean isPaused() {
        return isUp() && process.isPaused();
    }

    /** The running server, or null while it is down. */
    RaftServer raft() {
        return isUp() ? raft : null;
    }

    SimKvMachine machine(long groupId) {
        return machines.get(groupId);
    }

    /** Starts a new life on what the disks hold, hosting every group stored there. */
    void start() {
        lives++;
        process = new SimProcess(world.queue, id, world::checkInvariants);
        SimProcess life = process;
        engine = new MemoryLogEngine(disk);
        engine.setBeforeWrite(what -> {
            if (crashAtNextWrite) {
                crashAtNextWrite = false;
                world.log.count("crashes during a log write");
                crash("during " + what);
                world.restartLater(this);
                throw new SimulatedCrash("during " + what);
            }
        });
        scheduler = new SimScheduler(life, () -> world.queue.now() + clockOffsetNanos, world.random,
                world.profile.delays());
        transport = new SimTransport(life, world.network, world.queue, world.log);
        raft = new RaftServer(config, engine, transport, SnapshotStore.open(snapshotDir), new SimpleMeterRegistry(),
                scheduler);
        raft.start();
        machines.clear();
        try {
            for (long groupId : raft.storedGroups()) {
                raft.openGroup(groupId, newMachine(groupId));
            }
        } catch (SimulatedCrash c) {
            return; // died while restoring an interrupted snapshot install
        }
        world.log.note("server " + id + " started (life " + lives + ", groups " + raft.storedGroups() + ")");
    }

    /** Creates this server's replica of a new group with {@code members}. */
    void createGroup(long groupId, ConfState members) {
        raft.createGroup(groupId, members, newMachine(groupId));
    }

    private SimKvMachine newMachine(long groupId) {
        SimKvMachine m = new SimKvMachine(id, groupId, machineDisks.computeIfAbsent(groupId,
                g -> new SimKvMachine.Durable()), world.random, world.flushRate, world.applied, world.log, () -> {
                    if (crashInNextRestore) {
                        crashInNextRestore = false;
                        world.log.count("crashes halfway through a restore");
                        world.restartLater(this);
                        crash("halfway through restoring a snapshot of group " + groupId);
                        throw new SimulatedCrash("in a restore");
                    }
                });
        machines.put(groupId, m);
        return m;
    }

    /** The process dies at once: what its disks hold stays, everything else is gone. */
    void crash(String why) {
        if (!isUp()) {
            return;
        }
        process.kill();
        engine.kill();
        scheduler.close();
        transport.close();
        raft = null;
        machines.clear();
        crashAtNextWrite = false;
        world.log.note("server " + id + " crashed " + why);
    }

    void pause() {
        if (isUp() && !process.isPaused()) {
            process.pause();
            world.log.note("server " + id + " paused");
        }
    }

    void resume() {
        if (isPaused()) {
            process.resume();
            world.log.note("server " + id + " resumed");
        }
    }

    Optional<GroupSummary> summary(long groupId) {
        return isUp() ? raft.summary(groupId) : Optional.empty();
    }
}

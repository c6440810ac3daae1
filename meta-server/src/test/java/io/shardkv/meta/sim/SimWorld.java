package io.shardkv.meta.sim;

import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.migration.Importer;
import io.shardkv.kv.migration.SourcePuller;
import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.kv.state.StateMachineSettings;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.scheduler.AdminCallException;
import io.shardkv.meta.scheduler.BootstrapPlanner;
import io.shardkv.meta.scheduler.KvAdminCaller;
import io.shardkv.meta.scheduler.MigrationBoard;
import io.shardkv.meta.scheduler.StepResult;
import io.shardkv.meta.scheduler.TaskStepper;
import io.shardkv.raft.core.Entry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The world of the slot-migration simulation: three kv-servers, three shard groups (each led by
 * one of the servers) on one real KV database, and the meta-server's map, advanced by the real
 * transition function through the real scheduler steps. Faults come from the seeded random
 * source: lost proposals (before or after they apply), lost admin calls and pulls (before or
 * after they act), isolated servers, leadership changes, server restarts and meta leader
 * changes. Single-threaded: one event at a time, in the order the seed gives.
 */
final class SimWorld implements KvAdminCaller {
    static final int SERVERS = 3;

    final Random random;
    final Map<Long, SimGroup> groups = new TreeMap<>();
    final Map<Long, SimKvServer> servers = new TreeMap<>();
    private final Map<Long, Long> isolatedUntil = new HashMap<>();
    private final KvEngine engine;
    ClusterMap map;
    long clockMillis;
    private TaskStepper stepper;
    /** Faults on (off once the run heals everything to finish). */
    boolean faults = true;

    SimWorld(long seed, Path dir) {
        this.random = new Random(seed);
        this.engine = KvEngine.open(dir);
        ClusterMap m = ClusterMaps.initial();
        for (long id = 1; id <= SERVERS; id++) {
            m = must(m, MetaCommand.registerServer(id, "sim:" + id, "sim-raft:" + id));
        }
        m = must(m, new BootstrapPlanner(3, 3).plan(m).orElseThrow());
        for (Task t : ClusterMaps.pendingTasks(m)) {
            m = must(m, MetaCommand.taskComplete(t.getId()));
        }
        map = m;
        for (ShardGroupInfo g : map.getGroupsList()) {
            KvStateMachine sm = KvStateMachine.open(g.getId(), engine, StateMachineSettings.defaults());
            SimGroup group = new SimGroup(g.getId(), sm, 1 + (g.getId() - 1) % SERVERS);
            groups.put(g.getId(), group);
            List<Integer> slots = new ArrayList<>();
            for (int s = 0; s < Slots.COUNT; s++) {
                if (map.getSlots(s).getGroupId() == g.getId()) {
                    slots.add(s);
                }
            }
            apply(group, CommandCodec.encode(new Command.AssignSlots(0, map.getConfigVersion(), slots)));
        }
        for (long id = 1; id <= SERVERS; id++) {
            servers.put(id, new SimKvServer(id, this));
        }
        newMetaLeader();
    }

    void close() {
        groups.values().forEach(g -> g.machine.close());
        engine.close();
    }

    private static ClusterMap must(ClusterMap m, MetaCommand c) {
        MapTransitions.Outcome o = MapTransitions.apply(m, c);
        if (!o.ok()) {
            throw new IllegalStateException(c + " refused: " + o.result().getError().getMessage());
        }
        return o.map();
    }

    /** Applies a meta command to the map; a refusal changes nothing (as in the meta log). */
    boolean decide(MetaCommand c) {
        MapTransitions.Outcome o = MapTransitions.apply(map, c);
        map = o.map();
        return o.ok();
    }

    SimGroup group(long id) {
        return groups.get(id);
    }

    boolean isolated(long server) {
        return isolatedUntil.getOrDefault(server, -1L) > clockMillis;
    }

    private boolean lose(int percent) {
        return faults && random.nextInt(100) < percent;
    }

    // ------------------------------------------------------------------ the groups' logs

    private byte[] apply(SimGroup g, byte[] command) {
        return g.machine.apply(List.of(Entry.normal(1, ++g.lastIndex, command))).get(0);
    }

    /** A proposal from {@code server} to a group: applied only by its leader, lost now and then. */
    CompletableFuture<byte[]> propose(long groupId, long server, byte[] command) {
        SimGroup g = groups.get(groupId);
        if (g == null || g.leader != server || isolated(server)) {
            return CompletableFuture.failedFuture(new IllegalStateException("server " + server
                    + " does not lead group " + groupId));
        }
        if (lose(4)) {
            return CompletableFuture.failedFuture(new TimeoutException("proposal lost before it applied"));
        }
        byte[] result = apply(g, command);
        if (lose(4)) {
            return CompletableFuture.failedFuture(new TimeoutException("applied, but the answer was lost"));
        }
        return CompletableFuture.completedFuture(result);
    }

    /** An importer's pull: any reachable replica of the source (every server hosts every group here). */
    PullResponse pull(PullRequest request) throws SourcePuller.PullException {
        List<Long> order = new ArrayList<>(servers.keySet());
        java.util.Collections.shuffle(order, random);
        for (long id : order) {
            if (isolated(id) || lose(5)) {
                continue;
            }
            PullResponse r = servers.get(id).pull(request);
            if (r.getError().getCode() == ErrorCode.OK) {
                return r;
            }
        }
        throw new SourcePuller.PullException("no replica of group " + request.getGroupId() + " answered");
    }

    // ------------------------------------------------------------------ the meta-server's side

    /** A new meta leader: the map is kept (it is the meta log's), the scheduler's memory is not. */
    void newMetaLeader() {
        MigrationBoard board = new MigrationBoard(() -> clockMillis);
        stepper = new TaskStepper(this, g -> random.nextInt(4) == 0 ? 0 : groups.containsKey(g) ? groups.get(g).leader
                : 0, board, 0);
    }

    /** One scheduler pass over every group with a pending task, as MetaScheduler drives them. */
    void schedulerPass() {
        List<Long> withTasks = new ArrayList<>();
        for (Task t : ClusterMaps.pendingTasks(map)) {
            if (!withTasks.contains(t.getGroupId())) {
                withTasks.add(t.getGroupId());
            }
        }
        for (long g : withTasks) {
            for (int i = 0; i < 6; i++) {
                Optional<Task> task = ClusterMaps.pendingTaskOf(map, g);
                if (task.isEmpty()) {
                    break;
                }
                StepResult r = stepper.step(task.get(), map);
                if (r instanceof StepResult.Advanced a) {
                    decide(MetaCommand.taskProgress(task.get().getId(), a.step().recorded()));
                } else if (r instanceof StepResult.Completed) {
                    decide(MetaCommand.taskComplete(task.get().getId()));
                } else if (r instanceof StepResult.Failed f) {
                    decide(MetaCommand.taskFail(task.get().getId(), f.error()));
                    break;
                } else if (r instanceof StepResult.Decide d) {
                    decide(d.command());
                } else {
                    break; // Retry or Waiting: the next pass
                }
            }
        }
    }

    @Override
    public MigrationResponse migration(ServerInfo server, MigrationRequest request) {
        long id = server.getId();
        if (isolated(id) || lose(3)) {
            throw new AdminCallException("Migration on server " + id + ": unreachable", null);
        }
        MigrationResponse r = servers.get(id).migration(request);
        if (lose(3)) {
            throw new AdminCallException("Migration on server " + id + ": the answer was lost", null);
        }
        return r;
    }

    @Override
    public AdminResponse createReplica(ServerInfo server, CreateReplicaRequest request) {
        throw new UnsupportedOperationException("the simulation creates its groups up front");
    }

    @Override
    public AdminResponse changeMembership(ServerInfo server, ChangeMembershipRequest request) {
        throw new UnsupportedOperationException("the simulation does not change members");
    }

    @Override
    public AdminResponse destroyReplica(ServerInfo server, DestroyReplicaRequest request) {
        throw new UnsupportedOperationException("the simulation does not remove groups");
    }

    @Override
    public AdminResponse assignSlots(ServerInfo server, AssignSlotsRequest request) {
        throw new UnsupportedOperationException("the simulation assigns slots up front");
    }

    @Override
    public AdminResponse transferLeader(ServerInfo server, TransferLeaderRequest request) {
        throw new UnsupportedOperationException("the simulation moves leaders itself");
    }

    @Override
    public GroupStatusResponse groupStatus(ServerInfo server, GroupStatusRequest request) {
        throw new UnsupportedOperationException("not used by slot moves");
    }

    // ------------------------------------------------------------------ faults

    /** One random fault. */
    void fault() {
        int kind = random.nextInt(4);
        long server = 1 + random.nextInt(SERVERS);
        switch (kind) {
            case 0 -> {
                // A group elects another leader; an importer on the old one stops by itself.
                SimGroup g = groups.get(1 + (long) random.nextInt(groups.size()));
                g.leader = 1 + (g.leader % SERVERS);
            }
            case 1 -> {
                // A server is cut off for a while; its groups elect leaders elsewhere half the time.
                isolatedUntil.put(server, clockMillis + 200 + random.nextInt(3_000));
                if (random.nextBoolean()) {
                    for (SimGroup g : groups.values()) {
                        if (g.leader == server) {
                            g.leader = 1 + (server % SERVERS);
                        }
                    }
                }
            }
            case 2 -> {
                // A server restarts: its importers are gone, and the groups it leads reload their state.
                servers.get(server).restart();
                for (SimGroup g : groups.values()) {
                    if (g.leader == server) {
                        g.machine.syncNow();
                        g.machine.close();
                        g.machine = KvStateMachine.open(g.id, engine, StateMachineSettings.defaults());
                    }
                }
            }
            default -> newMetaLeader();
        }
    }

    /** Ends every fault (to let the run finish). */
    void heal() {
        faults = false;
        isolatedUntil.clear();
    }

    /** Every importer the servers were handed; stepping a stopped one does nothing. */
    List<Importer> importers() {
        List<Importer> out = new ArrayList<>();
        servers.values().forEach(s -> out.addAll(s.importersToStep));
        return out;
    }
}

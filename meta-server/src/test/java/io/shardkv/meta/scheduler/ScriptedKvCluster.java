package io.shardkv.meta.scheduler;

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
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.proto.ServerInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The kv side of the scheduler protocol as a deterministic script: which server hosts which
 * replica, who leads each group, who is a member. A stand-in for real kv-servers, which are
 * built elsewhere; it answers exactly as KvAdmin's contract (kv.proto) says. Its KvAdmin methods
 * are synchronized; tests read its fields inside {@code synchronized (cluster)}.
 */
public final class ScriptedKvCluster implements KvAdminCaller {
    final Map<Long, Set<Long>> hosted = new HashMap<>();
    final Map<Long, Long> leaders = new HashMap<>();
    final Map<Long, Set<Long>> voters = new HashMap<>();
    final Map<Long, Set<Long>> learners = new HashMap<>();
    final Map<Long, Set<Integer>> ownedSlots = new HashMap<>();
    final Set<Long> unreachable = new HashSet<>();
    final List<String> calls = new ArrayList<>();
    int failNextCreates;
    /** PROMOTE is refused this many times ("learner catching up") before it succeeds. */
    int promoteRefusals;
    /** A leader asked to remove itself first hands leadership over and answers NOT_LEADER. */
    boolean leaderHandsOverOnRemove;
    /** Accepted transfers that never happen (the target cannot win) until this turns false. */
    boolean transfersStall;
    /** Per migration id and group: the migration's phase there (importing, migrating, frozen, ready, active, ...). */
    final Map<String, String> migrationPhase = new HashMap<>();
    /** Import status calls answered "copying" before the import says it caught up. */
    int copyingPolls = 1;
    /** The target never becomes ready after the freeze (to test the freeze timeout). */
    boolean targetNeverReady;
    /** The importer reports this failure (the meta-server must abort). */
    String importFailure = "";

    private static AdminResponse ok() {
        return AdminResponse.newBuilder().setError(KvError.newBuilder().setCode(ErrorCode.OK)).build();
    }

    private static AdminResponse error(ErrorCode code, String message, long leader) {
        return AdminResponse.newBuilder().setError(KvError.newBuilder().setCode(code).setMessage(message)
                .setLeaderId(leader)).build();
    }

    private void reach(ServerInfo s, String call) {
        calls.add(call + "@" + s.getId());
        if (unreachable.contains(s.getId())) {
            throw new AdminCallException(call + " on server " + s.getId() + " failed: UNAVAILABLE", null);
        }
    }

    private AdminResponse notLeaderUnless(ServerInfo s, long group) {
        long leader = leaders.getOrDefault(group, 0L);
        return leader == s.getId() ? null : error(ErrorCode.NOT_LEADER, "not the leader of " + group, leader);
    }

    @Override
    public synchronized AdminResponse createReplica(ServerInfo s, CreateReplicaRequest r) {
        reach(s, "CreateReplica");
        if (failNextCreates > 0) {
            failNextCreates--;
            return error(ErrorCode.UNAVAILABLE, "disk busy", 0);
        }
        hosted.computeIfAbsent(s.getId(), k -> new TreeSet<>()).add(r.getGroupId());
        if (r.getInitialVotersCount() > 0) {
            voters.putIfAbsent(r.getGroupId(), new TreeSet<>(r.getInitialVotersList()));
            leaders.putIfAbsent(r.getGroupId(), r.getInitialVoters(0));
        }
        return ok();
    }

    @Override
    public synchronized AdminResponse changeMembership(ServerInfo s, ChangeMembershipRequest r) {
        reach(s, "ChangeMembership " + r.getType() + " " + r.getServerId());
        long g = r.getGroupId();
        AdminResponse notLeader = notLeaderUnless(s, g);
        if (notLeader != null) {
            return notLeader;
        }
        Set<Long> v = voters.get(g);
        Set<Long> l = learners.computeIfAbsent(g, k -> new TreeSet<>());
        switch (r.getType()) {
            case ADD_LEARNER:
                if (!v.contains(r.getServerId())) {
                    l.add(r.getServerId());
                }
                return ok();
            case PROMOTE:
                if (v.contains(r.getServerId())) {
                    return ok();
                }
                if (promoteRefusals > 0) {
                    promoteRefusals--;
                    return error(ErrorCode.UNAVAILABLE, "learner catching up", 0);
                }
                l.remove(r.getServerId());
                v.add(r.getServerId());
                return ok();
            case REMOVE:
                if (r.getServerId() == s.getId() && leaderHandsOverOnRemove) {
                    long next = v.stream().filter(id -> id != s.getId()).findFirst().orElseThrow();
                    leaders.put(g, next);
                    return error(ErrorCode.NOT_LEADER, "handed leadership over before leaving", next);
                }
                v.remove(r.getServerId());
                l.remove(r.getServerId());
                return ok();
            default:
                return error(ErrorCode.INVALID_ARGUMENT, "bad type", 0);
        }
    }

    @Override
    public synchronized AdminResponse destroyReplica(ServerInfo s, DestroyReplicaRequest r) {
        reach(s, "DestroyReplica");
        Set<Long> groups = hosted.get(s.getId());
        if (groups != null) {
            groups.remove(r.getGroupId());
        }
        return ok();
    }

    @Override
    public synchronized AdminResponse assignSlots(ServerInfo s, AssignSlotsRequest r) {
        reach(s, "AssignSlots");
        AdminResponse notLeader = notLeaderUnless(s, r.getGroupId());
        if (notLeader != null) {
            return notLeader;
        }
        ownedSlots.computeIfAbsent(r.getGroupId(), k -> new TreeSet<>()).addAll(r.getSlotsList());
        return ok();
    }

    @Override
    public synchronized AdminResponse transferLeader(ServerInfo s, TransferLeaderRequest r) {
        reach(s, "TransferLeader " + r.getServerId());
        long g = r.getGroupId();
        if (leaders.getOrDefault(g, 0L) == r.getServerId()) {
            return ok();
        }
        AdminResponse notLeader = notLeaderUnless(s, g);
        if (notLeader != null) {
            return notLeader;
        }
        if (!voters.getOrDefault(g, Set.of()).contains(r.getServerId())) {
            return error(ErrorCode.INVALID_ARGUMENT, "not a voter", 0);
        }
        if (!transfersStall) {
            leaders.put(g, r.getServerId());
        }
        return ok();
    }

    @Override
    public synchronized GroupStatusResponse groupStatus(ServerInfo s, GroupStatusRequest r) {
        reach(s, "GroupStatus");
        boolean hosts = hosted.getOrDefault(s.getId(), Set.of()).contains(r.getGroupId());
        long leader = hosts ? leaders.getOrDefault(r.getGroupId(), 0L) : 0;
        return GroupStatusResponse.newBuilder().setError(KvError.newBuilder().setCode(hosts ? ErrorCode.OK
                : ErrorCode.WRONG_GROUP)).setLeaderId(leader).setRole(leader == s.getId() ? "LEADER" : "FOLLOWER")
                .build();
    }

    @Override
    public synchronized MigrationResponse migration(ServerInfo s, MigrationRequest r) {
        reach(s, "Migration " + r.getAction() + " g" + r.getGroupId());
        AdminResponse notLeader = notLeaderUnless(s, r.getGroupId());
        if (notLeader != null) {
            return MigrationResponse.newBuilder().setError(notLeader.getError()).build();
        }
        String key = r.getMigrationId() + "/" + r.getGroupId();
        String phase = migrationPhase.getOrDefault(key, "none");
        Set<Integer> owned = ownedSlots.computeIfAbsent(r.getGroupId(), g -> new TreeSet<>());
        switch (r.getAction()) {
            case PREPARE_IMPORT -> phase = phase.equals("none") ? "copying" : phase;
            case BEGIN -> phase = phase.equals("none") ? "migrating" : phase;
            case IMPORT_STATUS -> {
                if (!importFailure.isEmpty()) {
                    return MigrationResponse.newBuilder().setError(KvError.getDefaultInstance()).setPhase(phase)
                            .setFailure(importFailure).build();
                }
                if (phase.equals("copying") && copyingPolls-- <= 0) {
                    phase = "catching-up";
                }
                String source = r.getMigrationId() + "/" + r.getPeerGroupId();
                if (phase.equals("catching-up") && migrationPhase.getOrDefault(source, "").equals("frozen")
                        && !targetNeverReady) {
                    phase = "ready";
                }
            }
            case FREEZE -> phase = "frozen";
            case ACTIVATE -> {
                if (!phase.equals("ready") && !phase.equals("active")) {
                    return MigrationResponse.newBuilder().setError(KvError.newBuilder()
                            .setCode(ErrorCode.INVALID_ARGUMENT).setMessage("not ready")).build();
                }
                owned.addAll(r.getSlotsList());
                phase = "active";
            }
            case RETIRE -> {
                owned.removeAll(r.getSlotsList());
                phase = "retired";
            }
            case ABORT -> phase = "aborted";
            default -> {
                return MigrationResponse.newBuilder().setError(KvError.newBuilder()
                        .setCode(ErrorCode.INVALID_ARGUMENT).setMessage("unknown action")).build();
            }
        }
        migrationPhase.put(key, phase);
        return MigrationResponse.newBuilder().setError(KvError.getDefaultInstance()).setPhase(phase).build();
    }
}

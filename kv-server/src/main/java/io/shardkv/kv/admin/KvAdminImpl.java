package io.shardkv.kv.admin;

import io.grpc.stub.StreamObserver;
import io.shardkv.common.Slots;
import io.shardkv.kv.migration.Importers;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.ReplicaProgress;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.kv.replica.Replicas;
import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.replica.KvErrors;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RaftStatus;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import io.shardkv.raft.runtime.RaftRequestException;
import io.shardkv.raft.runtime.RaftServer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler's API (kv.proto KvAdmin). Every call is idempotent: a step that is already done
 * answers OK, so the meta-server may repeat any step after a failure or a leader change.
 */
public final class KvAdminImpl extends KvAdminGrpc.KvAdminImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(KvAdminImpl.class);

    private final RaftServer raft;
    private final Replicas replicas;
    private final GroupRouter router;
    private final KvErrors errors;
    private final Executor executor;
    private final long timeoutMillis;
    private final MigrationAdmin migrations;

    public KvAdminImpl(RaftServer raft, Replicas replicas, GroupRouter router, KvErrors errors, Executor executor,
                       long timeoutMillis, Importers importers) {
        this.raft = raft;
        this.replicas = replicas;
        this.router = router;
        this.errors = errors;
        this.executor = executor;
        this.timeoutMillis = timeoutMillis;
        this.migrations = new MigrationAdmin(raft, replicas, router, errors, executor, timeoutMillis, importers);
    }

    @Override
    public void migration(MigrationRequest r, StreamObserver<MigrationResponse> obs) {
        migrations.migration(r, obs);
    }

    @Override
    public void pull(PullRequest r, StreamObserver<PullResponse> obs) {
        migrations.pull(r, obs);
    }

    @Override
    public void createReplica(CreateReplicaRequest r, StreamObserver<AdminResponse> obs) {
        long g = r.getGroupId();
        if (g == 0) {
            answer(obs, KvErrors.invalid("group_id is required (group ids start at 1)"), "");
            return;
        }
        Set<Long> voters = new HashSet<>(r.getInitialVotersList());
        if (!voters.isEmpty() && !voters.contains(raft.serverId())) {
            answer(obs, KvErrors.invalid("initial_voters " + voters + " of group " + g + " do not include this server "
                    + raft.serverId()), "");
            return;
        }
        if (voters.contains(0L)) {
            answer(obs, KvErrors.invalid("server ids start at 1"), "");
            return;
        }
        executor.execute(() -> {
            try {
                ConfState members = voters.isEmpty() ? ConfState.EMPTY
                        : new ConfState(voters, Set.of(), Set.of(), false);
                boolean created = replicas.create(g, members);
                answer(obs, KvErrors.OK, created ? "created" : "already hosted");
            } catch (RuntimeException e) {
                LOG.error("CreateReplica of group {} failed", g, e);
                answer(obs, KvErrors.of(ErrorCode.UNAVAILABLE, "cannot create group " + g + ": " + e.getMessage()), "");
            }
        });
    }

    @Override
    public void changeMembership(ChangeMembershipRequest r, StreamObserver<AdminResponse> obs) {
        long g = r.getGroupId();
        long s = r.getServerId();
        if (refusedAsUnknown(g, s, obs)) {
            return;
        }
        reply(raft.status(g).thenCompose(st -> {
            if (st.role() != Role.LEADER) {
                return done(errors.notLeader(g, st.leaderId() == raft.serverId() ? 0 : st.leaderId()), "");
            }
            ConfState m = st.membership();
            if (m.isJoint()) {
                return done(KvErrors.of(ErrorCode.UNAVAILABLE, "group " + g + " is in a joint configuration; retry"), "");
            }
            switch (r.getType()) {
                case ADD_LEARNER:
                    if (m.voters().contains(s) || m.learners().contains(s)) {
                        return done(KvErrors.OK, "already a member");
                    }
                    return propose(g, ConfChange.of(ConfChangeSingle.addLearner(s)), "learner added");
                case PROMOTE:
                    return promote(g, s, st);
                case REMOVE:
                    if (!m.voters().contains(s) && !m.learners().contains(s)) {
                        return done(KvErrors.OK, "not a member");
                    }
                    if (m.voters().equals(Set.of(s))) {
                        return done(KvErrors.invalid("cannot remove the last voter " + s + " of group " + g), "");
                    }
                    return propose(g, ConfChange.of(ConfChangeSingle.remove(s)), "removed");
                default:
                    return done(KvErrors.invalid("unknown membership change type " + r.getTypeValue()), "");
            }
        }), obs, "group " + g + ": " + r.getType() + " of server " + s);
    }

    /** Answers a request naming no group or server, or a group not hosted here; true if it did. */
    private boolean refusedAsUnknown(long g, long serverId, StreamObserver<AdminResponse> obs) {
        if (g == 0 || serverId == 0) {
            answer(obs, KvErrors.invalid("group_id and server_id are required"), "");
            return true;
        }
        if (replicas.get(g).isEmpty()) {
            answer(obs, errors.wrongGroup("group " + g + " is not hosted on server " + raft.serverId()), "");
            return true;
        }
        return false;
    }

    /** Answers with the outcome (or the failure) once known, within the admin timeout; logs successes. */
    private void reply(CompletableFuture<Outcome> outcome, StreamObserver<AdminResponse> obs, String what) {
        outcome.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenCompleteAsync((result, failure) -> {
            if (failure != null) {
                answer(obs, errors.fromFailure(failure), "");
            } else {
                if (result.error().getCode() == ErrorCode.OK) {
                    LOG.info("{}: {}", what, result.detail());
                }
                answer(obs, result.error(), result.detail());
            }
        }, executor);
    }

    /** Promotes a learner once it holds everything the leader has committed. */
    private CompletableFuture<Outcome> promote(long g, long s, RaftStatus st) {
        ConfState m = st.membership();
        if (m.voters().contains(s)) {
            return done(KvErrors.OK, "already a voter");
        }
        if (!m.learners().contains(s)) {
            return done(KvErrors.invalid("server " + s + " is not a learner of group " + g + "; add it first"), "");
        }
        RaftStatus.ReplicaStatus p = st.replicas().get(s);
        if (p == null || p.match() < st.commit()) {
            long match = p == null ? 0 : p.match();
            return done(KvErrors.of(ErrorCode.UNAVAILABLE, "learner catching up: server " + s + " has " + match
                    + " of the leader's commit " + st.commit()), "");
        }
        return propose(g, ConfChange.of(ConfChangeSingle.addVoter(s)), "promoted");
    }

    private CompletableFuture<Outcome> propose(long g, ConfChange change, String detail) {
        return raft.changeMembership(g, change).thenApply(ignored -> new Outcome(KvErrors.OK, detail));
    }

    private static CompletableFuture<Outcome> done(KvError error, String detail) {
        return CompletableFuture.completedFuture(new Outcome(error, detail));
    }

    private record Outcome(KvError error, String detail) {
    }

    @Override
    public void destroyReplica(DestroyReplicaRequest r, StreamObserver<AdminResponse> obs) {
        long g = r.getGroupId();
        if (g == 0) {
            answer(obs, KvErrors.invalid("group_id is required"), "");
            return;
        }
        if (replicas.get(g).isEmpty()) {
            executor.execute(() -> destroy(g, obs, "not hosted"));
            return;
        }
        raft.status(g).orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenCompleteAsync((st, failure) -> {
            if (failure != null && !groupStopped(failure)) {
                // Busy or slow: whether it still leads is unknown, so it is not destroyed yet.
                answer(obs, errors.fromFailure(failure), "");
                return;
            }
            // A removed leader hands leadership over before it steps down; destroying it
            // earlier could leave the rest of the group without the entries only it holds.
            if (failure == null && st.role() == Role.LEADER && !st.membership().includes(raft.serverId())) {
                answer(obs, KvErrors.of(ErrorCode.UNAVAILABLE, "handing over leadership of group " + g
                        + "; retry"), "");
                return;
            }
            destroy(g, obs, "destroyed");
        }, executor);
    }

    /** Whether a status request failed because the group no longer runs here (it leads nothing). */
    private static boolean groupStopped(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof RaftRequestException r
                && (r.kind() == RaftRequestException.Kind.GROUP_FAILED
                || r.kind() == RaftRequestException.Kind.NO_SUCH_GROUP);
    }

    private void destroy(long g, StreamObserver<AdminResponse> obs, String detail) {
        try {
            replicas.destroy(g);
            answer(obs, KvErrors.OK, detail);
        } catch (RuntimeException e) {
            LOG.error("DestroyReplica of group {} failed", g, e);
            answer(obs, KvErrors.of(ErrorCode.UNAVAILABLE, "cannot destroy group " + g + ": " + e.getMessage()), "");
        }
    }

    @Override
    public void assignSlots(AssignSlotsRequest r, StreamObserver<AdminResponse> obs) {
        long g = r.getGroupId();
        if (g == 0 || r.getSlotsCount() == 0) {
            answer(obs, KvErrors.invalid("group_id and at least one slot are required"), "");
            return;
        }
        List<Integer> slots = new ArrayList<>();
        for (int slot : r.getSlotsList()) {
            if (slot < 0 || slot >= Slots.COUNT) {
                answer(obs, KvErrors.invalid("slot " + slot + " is outside [0, " + Slots.COUNT + ")"), "");
                return;
            }
            slots.add(slot);
        }
        GroupRouter.Route route = router.route(g, true, List.of());
        if (!route.ok()) {
            answer(obs, route.error(), "");
            return;
        }
        KvStateMachine sm = route.machine();
        if (sm.ownedSlots().ownsAll(slots) && sm.ownedSlots().configVersion() >= r.getConfigVersion()) {
            answer(obs, KvErrors.OK, "already owned");
            return;
        }
        byte[] command = CommandCodec.encode(new Command.AssignSlots(System.currentTimeMillis(),
                r.getConfigVersion(), slots));
        raft.propose(g, command).orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((bytes, failure) -> {
                    if (failure != null) {
                        answer(obs, errors.fromFailure(failure), "");
                        return;
                    }
                    CommandResult result = CommandResult.decode(bytes);
                    if (result.isOk()) {
                        LOG.info("group {} owns {} more slots at map version {}", g, slots.size(),
                                r.getConfigVersion());
                        answer(obs, KvErrors.OK, "assigned");
                    } else {
                        answer(obs, KvErrors.of(ErrorCode.forNumber(result.code()), result.message()), "");
                    }
                }, executor);
    }

    @Override
    public void transferLeader(TransferLeaderRequest r, StreamObserver<AdminResponse> obs) {
        long g = r.getGroupId();
        long target = r.getServerId();
        if (refusedAsUnknown(g, target, obs)) {
            return;
        }
        reply(raft.status(g).thenCompose(st -> {
            if (st.leaderId() == target) {
                return done(KvErrors.OK, "already the leader");
            }
            if (st.role() != Role.LEADER) {
                return done(errors.notLeader(g, st.leaderId() == raft.serverId() ? 0 : st.leaderId()), "");
            }
            ConfState m = st.membership();
            if (!m.voters().contains(target) || m.isJoint()) {
                return done(KvErrors.invalid("server " + target + " is not a voter of group " + g
                        + " (voters " + m.voters() + ")"), "");
            }
            return raft.transferLeader(g, target).thenApply(ignored -> new Outcome(KvErrors.OK, "transfer started"));
        }), obs, "group " + g + ": leadership to server " + target);
    }

    @Override
    public void groupStatus(GroupStatusRequest r, StreamObserver<GroupStatusResponse> obs) {
        long g = r.getGroupId();
        Optional<KvStateMachine> sm = replicas.get(g);
        if (sm.isEmpty()) {
            obs.onNext(GroupStatusResponse.newBuilder()
                    .setError(errors.wrongGroup("group " + g + " is not hosted on server " + raft.serverId())).build());
            obs.onCompleted();
            return;
        }
        raft.status(g).orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenCompleteAsync((st, failure) -> {
            GroupStatusResponse.Builder b = GroupStatusResponse.newBuilder();
            if (failure != null) {
                b.setError(errors.fromFailure(failure));
            } else {
                b.setRole(st.role().name()).setTerm(st.term()).setLeaderId(st.leaderId()).setCommit(st.commit())
                        .setApplied(sm.get().appliedIndex()).setLastIndex(st.lastIndex())
                        .addAllOwnedSlots(sm.get().ownedSlots().list());
                for (RaftStatus.ReplicaStatus p : st.replicas().values()) {
                    b.addReplicas(ReplicaProgress.newBuilder().setServerId(p.id()).setLearner(p.learner())
                            .setMatch(p.match()).setNext(p.next()).setState(p.state()));
                }
            }
            obs.onNext(b.build());
            obs.onCompleted();
        }, executor);
    }

    private static void answer(StreamObserver<AdminResponse> obs, KvError error, String detail) {
        obs.onNext(AdminResponse.newBuilder().setError(error).setDetail(detail).build());
        obs.onCompleted();
    }
}

package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.MembershipChangeType;
import io.shardkv.meta.liveness.LeaderHints;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/** The KvAdmin calls the task types share, each answering empty on success or a typed {@link StepError}. */
final class AdminSteps {
    final KvAdminCaller admin;
    final LeaderHints hints;

    AdminSteps(KvAdminCaller admin, LeaderHints hints) {
        this.admin = admin;
        this.hints = hints;
    }

    /** One call to one server. */
    Optional<StepError> check(String what, long serverId, Supplier<AdminResponse> call) {
        try {
            KvError err = call.get().getError();
            return err.getCode() == ErrorCode.OK ? Optional.empty()
                    : Optional.of(StepError.refused(serverId, err.getCode().name(),
                            what + ": " + err.getCode() + " " + err.getMessage()));
        } catch (AdminCallException e) {
            return Optional.of(StepError.unreachable(serverId, e.getMessage()));
        }
    }

    /** A membership change of the task's server, on the group's leader. */
    Optional<StepError> changeMembership(ClusterMap map, ShardGroupInfo group, MembershipChangeType type, Task task) {
        ChangeMembershipRequest req = ChangeMembershipRequest.newBuilder().setGroupId(group.getId()).setType(type)
                .setServerId(task.getServerId()).setConfigVersion(task.getCreatedVersion()).build();
        return onLeader(map, group, type + " " + task.getServerId() + " in group " + group.getId(),
                s -> admin.changeMembership(s, req));
    }

    /**
     * Sends a call to the group's leader: the hinted leader first, then the running voters,
     * following NOT_LEADER hints. Empty when some server answered OK, else the last error.
     */
    Optional<StepError> onLeader(ClusterMap map, ShardGroupInfo group, String what,
                                 Function<ServerInfo, AdminResponse> call) {
        return Optional.ofNullable(onLeaderFor(map, group, what, call, AdminResponse::getError).error());
    }

    /** What a leader answered: its response when it said OK, else the error. */
    record Answer<R>(R response, StepError error) {
        boolean ok() {
            return error == null;
        }
    }

    /** {@link #onLeader} for a call of any response type, whose error {@code errorOf} finds. */
    <R> Answer<R> onLeaderFor(ClusterMap map, ShardGroupInfo group, String what, Function<ServerInfo, R> call,
                              Function<R, KvError> errorOf) {
        Deque<Long> candidates = new ArrayDeque<>();
        long hinted = hints.leaderOf(group.getId());
        if (hinted != 0 && ClusterMaps.isRunning(map, hinted)) {
            candidates.add(hinted);
        }
        for (long id : ClusterMaps.voters(group)) {
            if (id != hinted && ClusterMaps.isRunning(map, id)) {
                candidates.add(id);
            }
        }
        Set<Long> tried = new HashSet<>();
        StepError lastError = StepError.waiting(0, "no running voter of group " + group.getId() + " to send "
                + what + " to");
        // Every answer, for the operator: the last one alone hides a leader that could not be reached.
        StringBuilder answers = new StringBuilder();
        int budget = group.getReplicasCount() + 3;
        while (!candidates.isEmpty() && budget-- > 0) {
            long id = candidates.poll();
            if (!tried.add(id)) {
                continue;
            }
            Optional<ServerInfo> s = ClusterMaps.server(map, id);
            if (s.isEmpty()) {
                continue;
            }
            R r;
            try {
                r = call.apply(s.get());
            } catch (AdminCallException e) {
                lastError = StepError.unreachable(id, e.getMessage());
                answers.append(answers.isEmpty() ? "" : "; ").append("server ").append(id).append(" unreachable");
                continue;
            }
            KvError err = errorOf.apply(r);
            if (err.getCode() == ErrorCode.OK) {
                return new Answer<>(r, null);
            }
            lastError = StepError.refused(id, err.getCode().name(),
                    what + " on server " + id + ": " + err.getCode() + " " + err.getMessage());
            answers.append(answers.isEmpty() ? "" : "; ").append("server ").append(id).append(' ')
                    .append(err.getCode()).append(err.getCode() == ErrorCode.NOT_LEADER && err.getLeaderId() != 0
                            ? " (leader " + err.getLeaderId() + ")" : "");
            if (err.getCode() == ErrorCode.NOT_LEADER && err.getLeaderId() != 0 && !tried.contains(err.getLeaderId())) {
                candidates.addFirst(err.getLeaderId());
            } else if (err.getCode() != ErrorCode.NOT_LEADER) {
                // The leader answered with a real refusal (e.g. the learner is still catching up).
                return new Answer<>(null, lastError);
            }
        }
        if (tried.size() > 1) {
            lastError = lastError.suffixed(" (answers: " + answers + ")");
        }
        return new Answer<>(null, lastError);
    }

    /** A step that is done when {@code failed} is empty, else retried. */
    static StepResult advanceUnless(Optional<StepError> failed, TaskStep next) {
        return failed.<StepResult>map(StepResult.Retry::new).orElseGet(() -> new StepResult.Advanced(next));
    }

    /** The task's last step, done when {@code failed} is empty, else retried. */
    static StepResult completeUnless(Optional<StepError> failed) {
        return failed.<StepResult>map(StepResult.Retry::new).orElseGet(StepResult.Completed::new);
    }
}

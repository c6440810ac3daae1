package io.shardkv.kv.replica;

import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether this server may serve a request for a group: it must host the group, lead
 * it (unless the read is STALE) and own every slot the request touches, as the group's applied
 * log says. Answers the state machine to use, or the error to send.
 */
public final class GroupRouter {
    private final Replicas replicas;
    private final RaftServer raft;
    private final KvErrors errors;

    public GroupRouter(Replicas replicas, RaftServer raft, KvErrors errors) {
        this.replicas = replicas;
        this.raft = raft;
        this.errors = errors;
    }

    /** Either the group's state machine or the error to answer; exactly one is non-null. */
    public record Route(KvStateMachine machine, KvError error) {
        public boolean ok() {
            return error == null;
        }
    }

    /**
     * @param needLeader whether only the leader may serve (writes and non-STALE reads)
     * @param slots      slots the request touches
     */
    public Route route(long groupId, boolean needLeader, Collection<Integer> slots) {
        return route(groupId, needLeader, slots, Map.of());
    }

    /**
     * @param epochs the slots' epochs in the client's map (RequestHeader.slot_epochs); a slot the
     *               group knows at an older epoch is refused as still moving
     */
    public Route route(long groupId, boolean needLeader, Collection<Integer> slots, Map<Integer, Long> epochs) {
        Optional<KvStateMachine> sm = replicas.get(groupId);
        if (sm.isEmpty()) {
            return new Route(null, errors.wrongGroup("group " + groupId + " is not hosted on server "
                    + raft.serverId()));
        }
        if (needLeader) {
            Optional<GroupSummary> summary = raft.summary(groupId);
            if (summary.isEmpty()) {
                return new Route(null, errors.wrongGroup("group " + groupId + " is not hosted on server "
                        + raft.serverId()));
            }
            GroupSummary s = summary.get();
            if (s.failure() != null) {
                return new Route(null, KvErrors.of(ErrorCode.UNAVAILABLE, "group " + groupId + " stopped on server "
                        + raft.serverId() + ": " + s.failure()));
            }
            if (s.role() != Role.LEADER) {
                long leader = s.leaderId() == raft.serverId() ? RawNode.NONE : s.leaderId();
                return new Route(null, errors.notLeader(groupId, leader));
            }
        }
        Optional<KvError> slotError = checkSlots(sm.get(), slots, epochs);
        return slotError.map(e -> new Route(null, e)).orElseGet(() -> new Route(sm.get(), null));
    }

    /**
     * WRONG_GROUP if the group does not own one of the slots, SLOT_MIGRATING if one is frozen, still
     * being imported, or known to the client at a newer epoch than here, by the group's applied
     * slot table.
     */
    public Optional<KvError> checkSlots(KvStateMachine sm, Collection<Integer> slots, Map<Integer, Long> epochs) {
        for (int slot : slots) {
            Optional<CommandResult> refusal = sm.refusal(slot, epochs.getOrDefault(slot, 0L));
            if (refusal.isPresent()) {
                return refusal.map(errors::fromResult);
            }
        }
        return Optional.empty();
    }
}

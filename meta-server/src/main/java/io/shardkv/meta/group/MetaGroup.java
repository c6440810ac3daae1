package io.shardkv.meta.group;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.state.MetaStateMachine;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftRequestException;
import io.shardkv.raft.runtime.RaftServer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This replica's handle on the meta Raft group (group {@value #GROUP_ID}): who leads it, and
 * proposing commands with a deadline. Every failure comes back as a typed {@link MetaError}
 * inside the result, never as an exception, so callers answer clients in-band.
 */
public final class MetaGroup {
    /** The meta group's id on the meta-servers' RaftServer. */
    public static final long GROUP_ID = 1;

    private final RaftServer raft;
    private final MetaStateMachine stateMachine;

    public MetaGroup(RaftServer raft, MetaStateMachine stateMachine) {
        this.raft = raft;
        this.stateMachine = stateMachine;
    }

    public long selfId() {
        return raft.serverId();
    }

    public boolean isLeader() {
        return raft.summary(GROUP_ID).map(s -> s.role() == Role.LEADER && s.failure() == null).orElse(false);
    }

    /** The leader's server id as this replica knows it; 0 when unknown. */
    public long leaderId() {
        return raft.summary(GROUP_ID).map(GroupSummary::leaderId).orElse(0L);
    }

    public Optional<GroupSummary> summary() {
        return raft.summary(GROUP_ID);
    }

    /** The map as this replica last applied it. */
    public ClusterMap currentMap() {
        return stateMachine.currentMap();
    }

    public MetaError notLeader() {
        long leader = leaderId();
        return MetaError.newBuilder().setCode(MetaErrorCode.NOT_LEADER).setLeaderId(leader)
                .setMessage("meta-server " + selfId() + " is not the meta leader"
                        + (leader == 0 ? "; no leader known right now, try another meta-server"
                        : "; the leader is meta-server " + leader)).build();
    }

    /**
     * Proposes a command and completes with its apply result, or with a result carrying
     * NOT_LEADER / UNAVAILABLE / TIMEOUT when it did not (or may not have) applied in time.
     */
    public CompletableFuture<ClusterShardgroupChangeResponse> propose(MetaCommand command, long timeoutMillis) {
        return raft.propose(GROUP_ID, command.encode())
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .handle((bytes, failure) -> {
                    if (failure == null) {
                        return parse(bytes);
                    }
                    return ClusterShardgroupChangeResponse.newBuilder()
                            .setError(errorOf(failure, timeoutMillis, command.type().toString()))
                            .setConfigVersion(currentMap().getConfigVersion()).build();
                });
    }

    /** Completes once this replica's map is at least as new as anything committed before the call. */
    public CompletableFuture<MetaError> confirmReadable(long timeoutMillis) {
        return raft.readIndex(GROUP_ID, ReadMode.SAFE)
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .handle((index, failure) -> failure == null
                        ? MetaError.newBuilder().setCode(MetaErrorCode.OK).build()
                        : errorOf(failure, timeoutMillis, "read"));
    }

    private static ClusterShardgroupChangeResponse parse(byte[] bytes) {
        try {
            return ClusterShardgroupChangeResponse.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the meta state machine returned a malformed result", e);
        }
    }

    private MetaError errorOf(Throwable failure, long timeoutMillis, String what) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof TimeoutException) {
            return MetaError.newBuilder().setCode(MetaErrorCode.TIMEOUT).setMessage(what
                    + " did not apply within " + timeoutMillis + " ms; it may still apply, check the map").build();
        }
        if (cause instanceof RaftRequestException r) {
            if (r.kind() == RaftRequestException.Kind.NOT_LEADER) {
                long hint = r.leaderHint() != 0 ? r.leaderHint() : leaderId();
                return MetaError.newBuilder().setCode(MetaErrorCode.NOT_LEADER).setLeaderId(hint)
                        .setMessage("meta-server " + selfId() + " is not the meta leader: " + r.getMessage()).build();
            }
            return MetaError.newBuilder().setCode(MetaErrorCode.UNAVAILABLE).setLeaderId(leaderId())
                    .setMessage("the meta group could not take the " + what + ": " + r.getMessage()).build();
        }
        return MetaError.newBuilder().setCode(MetaErrorCode.UNAVAILABLE)
                .setMessage("the meta group failed on the " + what + ": " + cause).build();
    }
}

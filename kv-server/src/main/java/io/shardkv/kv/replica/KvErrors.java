package io.shardkv.kv.replica;

import io.shardkv.kv.metalink.ClusterView;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.raft.runtime.RaftRequestException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import io.shardkv.kv.state.CommandResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the typed {@link KvError}s clients act on, including from raft runtime failures. */
public final class KvErrors {
    private static final Logger LOG = LoggerFactory.getLogger(KvErrors.class);
    public static final KvError OK = KvError.getDefaultInstance();

    private final ClusterView view;

    public KvErrors(ClusterView view) {
        this.view = view;
    }

    public static KvError of(ErrorCode code, String message) {
        return KvError.newBuilder().setCode(code).setMessage(message).build();
    }

    public static KvError invalid(String message) {
        return of(ErrorCode.INVALID_ARGUMENT, message);
    }

    /** NOT_LEADER naming the leader (0 if unknown) and its client address when the map has it. */
    public KvError notLeader(long groupId, long leaderId) {
        KvError.Builder b = KvError.newBuilder().setCode(ErrorCode.NOT_LEADER)
                .setMessage("not the leader of group " + groupId).setLeaderId(leaderId);
        if (leaderId != 0) {
            view.clientAddress(leaderId).ifPresent(b::setLeaderAddress);
        }
        return b.build();
    }

    /** WRONG_GROUP with this server's map version. */
    public KvError wrongGroup(String message) {
        return KvError.newBuilder().setCode(ErrorCode.WRONG_GROUP).setMessage(message)
                .setConfigVersion(view.version()).build();
    }

    /**
     * The error a command's typed result stands for. WRONG_GROUP carries the newer of the group's
     * and this server's map versions, and the slot's new owner when the group gave it away.
     */
    public KvError fromResult(CommandResult result) {
        ErrorCode code = ErrorCode.forNumber(result.code());
        KvError.Builder b = KvError.newBuilder().setCode(code == null ? ErrorCode.UNAVAILABLE : code)
                .setMessage(result.message());
        if (code == ErrorCode.SESSION_EXPIRED) {
            b.setSessionHorizon(result.configVersion());
        }
        if (code == ErrorCode.WRONG_GROUP) {
            b.setConfigVersion(Math.max(result.configVersion(), view.version()));
            if (result.ownerGroup() != 0) {
                b.setOwnerGroupId(result.ownerGroup()).setSlot(result.slot()).setSlotEpoch(result.slotEpoch());
            }
        }
        return b.build();
    }

    /** Maps a failed proposal, read or admin request to what the client should do next. */
    public KvError fromFailure(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof TimeoutException) {
            return of(ErrorCode.TIMEOUT, "no answer within the request timeout; a write may or may not have happened");
        }
        if (t instanceof RaftRequestException r) {
            switch (r.kind()) {
                case NOT_LEADER:
                    return notLeader(r.groupId(), r.leaderHint());
                case SERVER_BUSY:
                    return of(ErrorCode.SERVER_BUSY, r.getMessage());
                case NO_SUCH_GROUP:
                    return wrongGroup(r.getMessage());
                case INVALID:
                    return invalid(r.getMessage());
                case DROPPED:
                    return of(ErrorCode.UNAVAILABLE, r.getMessage() + "; it did not happen, retry");
                case UNAVAILABLE:
                case GROUP_FAILED:
                case CLOSED:
                default:
                    return of(ErrorCode.UNAVAILABLE, r.getMessage());
            }
        }
        LOG.warn("request failed unexpectedly", t);
        return of(ErrorCode.UNAVAILABLE, "internal error: " + t);
    }
}

package io.shardkv.kv.admin;

import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.state.KvStateMachine;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the migration calls need of a kv-server's groups: this server's id, the groups it leads
 * and hosts, and their logs. The server's raft runtime in production ({@link RaftMigrationGroups});
 * a deterministic simulation drives the same calls over state machines of its own.
 */
public interface MigrationGroups {
    long serverId();

    /** The group's state machine if this server leads it; else the error to answer (NOT_LEADER...). */
    GroupRouter.Route leaderRoute(long groupId);

    /** The group's replica on this server, leader or not. */
    Optional<KvStateMachine> hosted(long groupId);

    /** Proposes a command to the group's log; completes with its result once applied here. */
    CompletableFuture<byte[]> propose(long groupId, byte[] command);
}

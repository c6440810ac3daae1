package io.shardkv.kv.admin;

import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.replica.Replicas;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.raft.runtime.RaftServer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** {@link MigrationGroups} over the server's raft runtime. */
final class RaftMigrationGroups implements MigrationGroups {
    private final RaftServer raft;
    private final Replicas replicas;
    private final GroupRouter router;

    RaftMigrationGroups(RaftServer raft, Replicas replicas, GroupRouter router) {
        this.raft = raft;
        this.replicas = replicas;
        this.router = router;
    }

    @Override
    public long serverId() {
        return raft.serverId();
    }

    @Override
    public GroupRouter.Route leaderRoute(long groupId) {
        return router.route(groupId, true, List.of());
    }

    @Override
    public Optional<KvStateMachine> hosted(long groupId) {
        return replicas.get(groupId);
    }

    @Override
    public CompletableFuture<byte[]> propose(long groupId, byte[] command) {
        return raft.propose(groupId, command);
    }
}

package io.shardkv.kv.migration;

import io.shardkv.kv.state.CommandResult;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** An importer's way into its group's log: the server's raft runtime. */
public final class RaftProposer implements Importer.GroupProposer {
    private final RaftServer raft;

    public RaftProposer(RaftServer raft) {
        this.raft = raft;
    }

    @Override
    public CommandResult propose(long groupId, byte[] command, long timeoutMillis)
            throws InterruptedException, ExecutionException, TimeoutException {
        return CommandResult.decode(raft.propose(groupId, command).get(timeoutMillis, TimeUnit.MILLISECONDS));
    }

    @Override
    public boolean leads(long groupId) {
        Optional<GroupSummary> s = raft.summary(groupId);
        return s.isPresent() && s.get().failure() == null && s.get().role() == Role.LEADER;
    }
}

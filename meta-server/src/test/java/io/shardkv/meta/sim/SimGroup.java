package io.shardkv.meta.sim;

import io.shardkv.kv.state.KvStateMachine;

/**
 * A simulated shard group: its replicated state as one state machine (the simulation does not
 * replicate; the raft simulation covers that), the index of its last entry, and which server
 * leads it now.
 */
final class SimGroup {
    final long id;
    KvStateMachine machine;
    long lastIndex;
    long leader;

    SimGroup(long id, KvStateMachine machine, long leader) {
        this.id = id;
        this.machine = machine;
        this.lastIndex = machine.appliedIndex();
        this.leader = leader;
    }
}

package io.shardkv.raft.core;

import java.util.HashMap;
import java.util.Map;

/** A (pre-)candidate collects votes for one campaign. */
final class CandidateState implements RoleState {
    /** True for the trial PreVote round, which does not change anyone's term. */
    final boolean preVote;
    /** Votes heard so far: granted (true) or rejected (false), by voter id. */
    final Map<Long, Boolean> votes = new HashMap<>();

    CandidateState(boolean preVote) {
        this.preVote = preVote;
    }

    @Override
    public Role role() {
        return preVote ? Role.PRE_CANDIDATE : Role.CANDIDATE;
    }
}

package io.shardkv.raft.core.confchange;

/** One membership step for one node. */
public record ConfChangeSingle(ConfChangeType type, long nodeId) {
    public ConfChangeSingle {
        if (type == null || nodeId <= 0) {
            throw new IllegalArgumentException("conf change needs a type and a positive node id, got " + type + " " + nodeId);
        }
    }

    public static ConfChangeSingle addVoter(long id) {
        return new ConfChangeSingle(ConfChangeType.ADD_VOTER, id);
    }

    public static ConfChangeSingle addLearner(long id) {
        return new ConfChangeSingle(ConfChangeType.ADD_LEARNER, id);
    }

    public static ConfChangeSingle remove(long id) {
        return new ConfChangeSingle(ConfChangeType.REMOVE_NODE, id);
    }
}

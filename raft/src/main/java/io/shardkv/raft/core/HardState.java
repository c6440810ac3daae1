package io.shardkv.raft.core;

/**
 * The state a replica must persist before it sends any message that depends on it.
 *
 * @param term   the latest term this replica has seen
 * @param vote   the candidate voted for in {@code term}, or {@link RawNode#NONE}
 * @param commit the highest index known to be committed
 */
public record HardState(long term, long vote, long commit) {
    public static final HardState EMPTY = new HardState(0, 0, 0);

    public HardState {
        if (term < 0 || vote < 0 || commit < 0) {
            throw new IllegalArgumentException("negative field in " + term + "/" + vote + "/" + commit);
        }
    }
}

package io.shardkv.raft.sim;

/**
 * The replicated application a {@link SimNode} drives. Implementations must be deterministic:
 * the same commands in the same order give the same state and the same snapshot bytes, on every
 * node and in every run.
 */
public interface StateMachine {

    /** Applies the command of the committed NORMAL entry at {@code index}. */
    void apply(long index, byte[] command);

    /** The whole state as bytes, to be restored by {@link #restore(byte[])}. */
    byte[] snapshot();

    /** Replaces the state with a snapshot; an empty array is the initial (empty) state. */
    void restore(byte[] snapshot);
}

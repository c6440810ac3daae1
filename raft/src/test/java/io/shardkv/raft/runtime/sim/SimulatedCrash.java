package io.shardkv.raft.runtime.sim;

/**
 * Thrown at a crash point (inside a log write, a snapshot restore) after the process was marked
 * dead: it unwinds what the process was doing. An Error, so that no runtime code mistakes it
 * for a failure it should handle; whatever the runtime's catch blocks still do dies with the
 * process.
 */
final class SimulatedCrash extends Error {
    SimulatedCrash(String where) {
        super("simulated crash " + where, null, false, false);
    }
}

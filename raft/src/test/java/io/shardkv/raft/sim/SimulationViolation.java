package io.shardkv.raft.sim;

/**
 * A safety or liveness property failed in a simulation run. Thrown from wherever the breach is
 * seen; the runner adds the seed and the trace tail.
 */
public final class SimulationViolation extends RuntimeException {
    public SimulationViolation(String message) {
        super(message);
    }

    public SimulationViolation(String message, Throwable cause) {
        super(message, cause);
    }
}

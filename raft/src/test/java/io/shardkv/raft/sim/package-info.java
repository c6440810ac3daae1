/**
 * Deterministic simulation of Raft groups: many replicas in one thread, on a simulated clock and
 * network, with faults chosen from a seed, invariants checked after every event, and a replay of
 * any seed that fails. See {@code RaftSimulationTest} for how to run it.
 *
 * <p>Pieces meant for reuse (this package ships in the raft test-jar):
 * <ul>
 *   <li>{@link io.shardkv.raft.sim.SimEventQueue}: the simulated clock, events in
 *       (time, sequence) order.</li>
 *   <li>{@link io.shardkv.raft.sim.SimNetwork}: a network of numbered nodes carrying any payload
 *       type (a multi-group server can send batched envelopes), with loss, duplication, random
 *       delay and directed link cuts from {@link io.shardkv.raft.sim.LinkFilter}.</li>
 *   <li>{@link io.shardkv.raft.sim.SimNode}: the owner loop of one replica over a
 *       {@link io.shardkv.raft.storage.MemoryLogStorage} "disk", driving any
 *       {@link io.shardkv.raft.sim.StateMachine}; crash keeps only the disk.</li>
 *   <li>{@link io.shardkv.raft.sim.SafetyChecker}: the Raft safety properties of one group.</li>
 *   <li>{@link io.shardkv.raft.sim.SimTrace}: trace tail, verbose replay and run digest.</li>
 * </ul>
 * The rest wires a key-value group together: {@code SimCluster} (life cycles, transport
 * reports, garbage collection of removed replicas), {@code Nemesis} (faults), {@code KvClients}
 * (workload and history), {@code FailureDetector}, {@code SimProfile} (per-seed settings) and
 * {@link io.shardkv.raft.sim.RaftSimulation} (safety phase, liveness phase, linearizability).
 *
 * <p>Rules that keep runs reproducible: every random choice comes from a
 * {@link java.util.SplittableRandom} split from the seed; nothing reads a clock or sleeps; and
 * nothing iterates an unordered collection whose order could differ between JVMs (sets of node
 * ids are copied into sorted sets first).
 */
package io.shardkv.raft.sim;

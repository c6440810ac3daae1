package io.shardkv.raft.sim;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.CheckResult;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvModel;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.Operation;
import java.io.PrintStream;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One seeded run of a simulated Raft group, in three parts:
 * <ol>
 *   <li>Safety: a fixed number of events mixing ticks, deliveries, client operations and the
 *       {@link Nemesis}'s faults, with every invariant of {@link SafetyChecker} checked after each
 *       event. Any exception from the core counts as a violation.</li>
 *   <li>Liveness: every fault is healed (partitions, crashes, loss, duplication, long delays) and
 *       the group must, within a bounded number of ticks, have a leader, apply every acknowledged
 *       write on every member, leave any joint configuration, and serve a fresh write and a
 *       linearizable read of it.</li>
 *   <li>Linearizability: the clients' history is checked with {@link KvModel}; a history the
 *       checker cannot decide within its budget fails the seed too.</li>
 * </ol>
 * Everything random comes from the seed, so a seed replays exactly; {@link Result#digest()}
 * summarizes the whole event trace to prove it.
 */
public final class RaftSimulation {

    /** The outcome of one seed. {@code violation} is null when every check passed. */
    public record Result(long seed, long digest, long events, long livenessTicks, CheckResult linearizability,
                         Stats stats, String summary, SimulationViolation violation, List<String> traceTail) {
        public boolean ok() {
            return violation == null;
        }
    }

    /** Counts that show how much a seed exercised. */
    public record Stats(long operations, long ackedWrites, long answeredReads, long unknownOps, long elections,
                        long faults, long committed, long quiesceMessages) {
    }

    private static final long TICK = SimCluster.TICK;
    private static final int TRACE_TAIL = 300;

    private final long seed;
    private final SimProfile profile;
    private final SimEventQueue queue = new SimEventQueue();
    private final SimTrace trace;
    private final SimCluster cluster;
    private final KvClients clients;
    private final Nemesis nemesis;
    private long events;

    private RaftSimulation(long seed, int safetyEvents, PrintStream verbose) {
        this.seed = seed;
        SplittableRandom random = new SplittableRandom(seed);
        this.profile = SimProfile.choose(random.split(), safetyEvents);
        this.trace = new SimTrace(TRACE_TAIL, verbose);
        this.cluster = new SimCluster(profile, queue, trace, random.split());
        this.clients = new KvClients(cluster, random.split());
        this.nemesis = new Nemesis(cluster, random.split());
        cluster.setListener(clients);
    }

    private static final long BASE_SEED = 0x5eed_2026_0001L;

    /** The i-th seed of a many-seed run: the default run takes seeds 0 to 11,999. */
    public static long seedAt(int i) {
        return SimTrace.mix(BASE_SEED, i);
    }

    /** Runs seed {@code seed}; {@code verbose}, if not null, receives every trace line. */
    public static Result run(long seed, int safetyEvents, PrintStream verbose) {
        return new RaftSimulation(seed, safetyEvents, verbose).run();
    }

    /**
     * Runs seed {@code seed} and returns its clients' history, checked or not: what the checker's
     * tests and benchmark feed it.
     */
    public static List<Operation<KvInput, KvOutput>> history(long seed, int safetyEvents) {
        RaftSimulation simulation = new RaftSimulation(seed, safetyEvents, null);
        simulation.run();
        return simulation.clients.history();
    }

    private Result run() {
        trace.note(0, "profile", 0, profile.describe());
        long livenessTicks = 0;
        CheckResult linearizable = null;
        try {
            cluster.bootstrap();
            clients.start();
            nemesis.start();
            while (events < profile.safetyEvents()) {
                step();
            }
            livenessTicks = liveness();
            CheckReport<KvInput, KvOutput> report = KvModel.checker().check(clients.history());
            linearizable = report.result();
            if (report.result() == CheckResult.ILLEGAL) {
                throw new SimulationViolation("history is not linearizable: " + report.explain());
            }
            if (report.result() == CheckResult.UNKNOWN) {
                // An undecided history could hide a violation in exactly the hardest runs, so it
                // fails the seed like one: a finding about the checker to look at.
                throw new SimulationViolation("history undecided: " + report.explain());
            }
        } catch (SimulationViolation v) {
            return result(livenessTicks, linearizable, v);
        }
        return result(livenessTicks, linearizable, null);
    }

    private Result result(long livenessTicks, CheckResult linearizable, SimulationViolation violation) {
        for (long id : cluster.nodeIds()) {
            SimNode<KvStateMachine> n = cluster.node(id);
            trace.fold(id);
            trace.fold(n.applied());
            trace.fold(n.chain());
            trace.fold(n.disk().hardState().hashCode());
        }
        String summary = profile.describe() + "; " + events + " events, " + nemesis.actions() + " faults, "
                + cluster.safety.elections() + " elections, commit " + cluster.safety.maxCommitted() + ", "
                + clients.stats() + ", liveness " + livenessTicks + " ticks, history " + linearizable;
        Stats stats = new Stats(clients.operations(), clients.ackedWrites(), clients.answeredReads(),
                clients.unknownOps(), cluster.safety.elections(), nemesis.actions(), cluster.safety.maxCommitted(),
                cluster.quiesceMessages);
        return new Result(seed, trace.digest(), events, livenessTicks, linearizable, stats, summary, violation,
                violation == null ? List.of() : trace.tail());
    }

    /** Runs one event, then every owner loop, then the per-event invariants. */
    private void step() {
        SimEventQueue.Event e = queue.poll();
        if (e == null) {
            throw new SimulationViolation("the event queue ran dry");
        }
        events++;
        trace.record(e.time(), e.kind(), e.node(), e.detail(), e.detailDigest());
        try {
            e.action().run();
            cluster.processReadies();
            cluster.afterEvent();
        } catch (SimulationViolation v) {
            throw v;
        } catch (RuntimeException ex) {
            throw new SimulationViolation("exception at event " + events + " (" + e.kind() + " n" + e.node() + "): "
                    + ex, ex);
        }
    }

    /**
     * Heals everything and waits for the group to make progress; returns the ticks it took.
     * The bound allows a few election timeouts per fault that was still in force (more without
     * PreVote), plus the time to ship the log at the seed's flow-control limits.
     */
    private long liveness() {
        nemesis.stop();
        clients.stopNewOperations();
        cluster.network.links().healAll();
        cluster.network.setFaults(0, 0);
        cluster.network.setDelay(1, TICK);
        cluster.failureDetector.setFalseAlarms(false);
        int restarted = 0;
        for (long id : cluster.nodeIds()) {
            SimNode<KvStateMachine> n = cluster.node(id);
            n.disk().setSnapshotUnavailable(false);
            if (!n.isUp()) {
                cluster.start(id);
                restarted++;
            }
        }
        trace.note(queue.now(), "liveness", 0, "healed; restarted " + restarted);
        long start = queue.now();
        long logLength = Math.max(cluster.safety.maxCommitted(), 1);
        long perRoundTrip = Math.max(1, (long) profile.maxInflightMsgs()
                * Math.max(1, profile.maxSizePerMsgBytes() / 64));
        // Without PreVote a member that lags behind a membership change and cannot win keeps
        // bumping its term first, so the one candidate that could win is refused in every round
        // where its timer fires later than the laggard's (about 9 rounds in 10): recovery time
        // is geometric with a heavy tail (thesis 9.6). Allow enough rounds that a healthy core
        // fails this bound with negligible probability (0.9^150).
        long elections = profile.preVote() ? 10 : 150;
        long budgetTicks = profile.electionTicks() * (elections + 4L * restarted) + 4 * logLength / perRoundTrip;
        long deadline = start + budgetTicks * TICK;
        KvClients.Probe probe = null;
        long lastCheck = -1;
        while (true) {
            step();
            if (queue.now() == lastCheck) {
                continue;
            }
            lastCheck = queue.now();
            long leader = cluster.leader();
            if ((probe == null || probe.failed) && leader != RawNode.NONE) {
                // A probe whose node was removed meanwhile ends unknown; try again with a new one.
                probe = clients.probe("liveness");
            }
            String missing = probe == null ? "no leader" : missingProgress(leader, probe);
            if (missing == null) {
                long ticks = (queue.now() - start) / TICK;
                trace.note(queue.now(), "live", leader, "after " + ticks + " ticks");
                return ticks;
            }
            if (queue.now() > deadline) {
                throw new SimulationViolation("liveness: no progress within " + budgetTicks + " ticks after healing: "
                        + missing + "; " + describeNodes());
            }
        }
    }

    /** What the group still lacks to count as live, or null when it is live. */
    private String missingProgress(long leader, KvClients.Probe probe) {
        if (leader == RawNode.NONE) {
            return "no leader";
        }
        if (!probe.succeeded()) {
            return "probe " + probe;
        }
        ConfState cs = cluster.node(leader).raw().confState();
        if (cs.isJoint()) {
            return "still joint: " + cs;
        }
        long needed = clients.maxAckedIndex();
        for (long id : SimCluster.members(cs)) {
            SimNode<KvStateMachine> n = cluster.node(id);
            if (n == null || !n.isUp()) {
                return "member " + id + " is not running";
            }
            if (n.applied() < needed) {
                return "member " + id + " applied " + n.applied() + " < acknowledged " + needed;
            }
        }
        return null;
    }

    private String describeNodes() {
        StringBuilder sb = new StringBuilder();
        for (long id : cluster.nodeIds()) {
            SimNode<KvStateMachine> n = cluster.node(id);
            sb.append("\n  ").append(n.isUp() ? n.raw().status().toString() : "node " + id + " down");
        }
        return sb.toString();
    }
}

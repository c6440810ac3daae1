package io.shardkv.raft.sim;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.Ready;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * The Raft safety properties (Raft paper, figure 3), checked from what the nodes' owner loops
 * observe. Facts are gathered while each Ready is processed; the checks that need every node to
 * have persisted its Ready (leader completeness) run in {@link #afterEvent}, once per event.
 *
 * <ul>
 *   <li>Election safety: at most one leader per term, ever.</li>
 *   <li>Log matching: every durable (index, term) ever seen has one previous term and one payload;
 *       by induction, two logs with the same (index, term) agree up to it.</li>
 *   <li>Leader completeness: a leader of term T holds every entry committed in a term below T,
 *       unless compacted into its snapshot; checked when it is elected and whenever more entries
 *       become known committed while it leads. The commit term is bounded from above by the
 *       term of the first node seen to know the commit, so the check never fires falsely.</li>
 *   <li>State machine safety: all nodes apply the same entry at each index; an applied-history
 *       hash chain, carried in snapshots, shows snapshots hold exactly the entries they replace.</li>
 *   <li>Durability and monotonicity: the persisted term never decreases, a vote never changes
 *       within a term, the persisted commit never decreases (across restarts too), and nothing at
 *       or below it is rewritten; applied indexes advance one by one within a life.</li>
 * </ul>
 *
 * <p>One instance watches one Raft group. Feed it from {@link SimNode.Observer} hooks (see
 * {@link SimCluster}) and call {@link #afterEvent} once per simulation event; every breach is
 * thrown as a {@link SimulationViolation}.
 */
public final class SafetyChecker {

    private record IndexTerm(long index, long term) {
    }

    /** What a durable log holds at some (index, term). */
    private record LogFact(long prevTerm, long hash, long node) {
    }

    /**
     * A committed entry, the node that first showed it committed, and a term at or after the
     * term in which it was committed: the smallest term any node was in when it learned that the
     * entry is committed (a node learns a commit from a leader of its own term, or is that leader).
     */
    private record Committed(long term, long hash, long node, long commitTermBound) {
    }

    private final Map<Long, Long> leaderOfTerm = new HashMap<>();
    private final Map<IndexTerm, LogFact> logFacts = new HashMap<>();
    private final Map<Long, Committed> committed = new HashMap<>();
    private long maxCommitted;
    private final Map<Long, Long> chainAt = new HashMap<>();
    /** Nodes leading right now (as of their last Ready), with their term. */
    private final TreeMap<Long, Long> leaders = new TreeMap<>();
    /** Per node: the commit index up to which its committed entries were registered. */
    private final Map<Long, Long> registeredCommit = new HashMap<>();
    private final List<Long> newLeaders = new ArrayList<>();
    private final List<Long> newlyCommitted = new ArrayList<>();
    private long elections;

    /** A node started (or restarted) from its disk. */
    public void onStart(long node, MemoryLogStorage disk) {
        leaders.remove(node);
        // What it had committed before the crash was registered then.
        registeredCommit.put(node, disk.hardState().commit());
    }

    public void onStop(long node) {
        leaders.remove(node);
    }

    /** Before a Ready's entries are written: nothing at or below the persisted commit may change. */
    public void beforeAppend(long node, MemoryLogStorage disk, List<Entry> entries) {
        long commit = disk.hardState().commit();
        for (Entry e : entries) {
            if (e.index() > commit) {
                break;
            }
            if (e.index() >= disk.firstIndex() && e.index() <= disk.lastIndex() && disk.term(e.index()) != e.term()) {
                throw new SimulationViolation("node " + node + " overwrites its committed entry " + e.index() + "@"
                        + disk.term(e.index()) + " with term " + e.term() + " (persisted commit " + commit + ")");
            }
        }
    }

    public void onPersisted(long node, Ready rd, HardState before, MemoryLogStorage disk) {
        HardState after = disk.hardState();
        if (rd.hardState() != null) {
            checkHardState(node, before, after);
        }
        for (Entry e : rd.entries()) {
            recordLogFact(node, e, disk.term(e.index() - 1));
        }
        if (rd.hardState() != null) {
            registerCommitted(node, disk, after.commit());
        }
        if (rd.softState() != null) {
            if (rd.softState().role() == Role.LEADER) {
                long term = after.term();
                Long previous = leaderOfTerm.putIfAbsent(term, node);
                if (previous != null && previous != node) {
                    throw new SimulationViolation("election safety: node " + node + " leads term " + term
                            + " already led by node " + previous);
                }
                leaders.put(node, term);
                newLeaders.add(node);
                elections++;
            } else {
                leaders.remove(node);
            }
        }
    }

    private static void checkHardState(long node, HardState before, HardState after) {
        if (after.term() < before.term()) {
            throw new SimulationViolation("node " + node + " persisted term " + after.term() + " after " + before.term());
        }
        if (after.term() == before.term() && before.vote() != RawNode.NONE && after.vote() != before.vote()) {
            throw new SimulationViolation("node " + node + " changed its vote in term " + after.term() + " from "
                    + before.vote() + " to " + after.vote());
        }
        if (after.commit() < before.commit()) {
            throw new SimulationViolation("node " + node + " persisted commit " + after.commit() + " after "
                    + before.commit());
        }
    }

    private void recordLogFact(long node, Entry e, long prevTerm) {
        long hash = entryHash(e);
        LogFact fact = new LogFact(prevTerm, hash, node);
        LogFact seen = logFacts.putIfAbsent(new IndexTerm(e.index(), e.term()), fact);
        if (seen != null && (seen.prevTerm() != prevTerm || seen.hash() != hash)) {
            throw new SimulationViolation("log matching: node " + node + " holds " + e + " after term " + prevTerm
                    + " but node " + seen.node() + " held " + e.index() + "@" + e.term() + " after term "
                    + seen.prevTerm() + (seen.hash() != hash ? " with other data" : ""));
        }
    }

    private void registerCommitted(long node, MemoryLogStorage disk, long commit) {
        long from = Math.max(registeredCommit.getOrDefault(node, 0L), disk.firstIndex() - 1);
        if (commit <= from) {
            registeredCommit.merge(node, commit, Math::max);
            return;
        }
        if (commit > disk.lastIndex()) {
            throw new SimulationViolation("node " + node + " persisted commit " + commit + " beyond its last index "
                    + disk.lastIndex());
        }
        long termNow = disk.hardState().term();
        for (Entry e : disk.entries(from + 1, commit + 1, Long.MAX_VALUE)) {
            long hash = entryHash(e);
            Committed c = committed.putIfAbsent(e.index(), new Committed(e.term(), hash, node, termNow));
            if (c == null) {
                newlyCommitted.add(e.index());
                maxCommitted = Math.max(maxCommitted, e.index());
            } else if (c.term() != e.term() || c.hash() != hash) {
                throw new SimulationViolation("committed entries differ at " + e.index() + ": node " + node + " has "
                        + e + ", node " + c.node() + " committed term " + c.term());
            } else if (termNow < c.commitTermBound()) {
                committed.put(e.index(), new Committed(c.term(), c.hash(), c.node(), termNow));
                newlyCommitted.add(e.index());
            }
        }
        registeredCommit.put(node, commit);
    }

    public void onApplied(long node, Entry e, long chain, MemoryLogStorage disk) {
        if (e.index() > disk.hardState().commit()) {
            throw new SimulationViolation("node " + node + " applies " + e + " beyond its persisted commit "
                    + disk.hardState().commit());
        }
        Committed c = committed.get(e.index());
        if (c != null && (c.term() != e.term() || c.hash() != entryHash(e))) {
            throw new SimulationViolation("state machine safety: node " + node + " applies " + e
                    + " but the entry committed there has term " + c.term() + " (seen at node " + c.node() + ")");
        }
        checkChain(node, e.index(), chain, "applying " + e);
    }

    public void onSnapshotApplied(long node, Snapshot s, long chain) {
        Committed c = committed.get(s.index());
        if (c != null && c.term() != s.term()) {
            throw new SimulationViolation("node " + node + " installs " + s + " but the entry committed at "
                    + s.index() + " has term " + c.term());
        }
        checkChain(node, s.index(), chain, "installing " + s);
    }

    private void checkChain(long node, long index, long chain, String what) {
        Long canonical = chainAt.putIfAbsent(index, chain);
        if (canonical != null && canonical != chain) {
            throw new SimulationViolation("state machine safety: node " + node + " " + what
                    + " reaches a different applied history at index " + index);
        }
    }

    /**
     * Checks that need every node's Ready persisted. {@code disks} gives the disk of a running
     * node (its whole log, since all Readys were processed).
     */
    public void afterEvent(LongFunction<MemoryLogStorage> disks) {
        if (!newLeaders.isEmpty()) {
            for (long node : newLeaders) {
                Long term = leaders.get(node);
                if (term != null) {
                    MemoryLogStorage disk = disks.apply(node);
                    for (long i = Math.max(1, disk.firstIndex() - 1); i <= maxCommitted; i++) {
                        checkLeaderHolds(node, term, disk, i);
                    }
                }
            }
            newLeaders.clear();
        }
        if (!newlyCommitted.isEmpty()) {
            for (Map.Entry<Long, Long> leader : leaders.entrySet()) {
                MemoryLogStorage disk = disks.apply(leader.getKey());
                for (long i : newlyCommitted) {
                    checkLeaderHolds(leader.getKey(), leader.getValue(), disk, i);
                }
            }
            newlyCommitted.clear();
        }
    }

    /**
     * Leader completeness as the paper states it: an entry committed in a term before the
     * leader's is in its log. (An entry of an earlier term committed only later, by a leader of
     * a later term, need not be: paper figure 8.)
     */
    private void checkLeaderHolds(long node, long term, MemoryLogStorage disk, long index) {
        Committed c = committed.get(index);
        if (c == null || c.commitTermBound() >= term || index < disk.firstIndex() - 1) {
            return;
        }
        if (index > disk.lastIndex()) {
            throw new SimulationViolation("leader completeness: node " + node + " leads term " + term
                    + " without entry " + index + "@" + c.term() + ", committed by term " + c.commitTermBound()
                    + " (its log ends at " + disk.lastIndex() + ")");
        }
        long held = disk.term(index);
        if (held != c.term()) {
            throw new SimulationViolation("leader completeness: node " + node + " leads term " + term + " holding "
                    + index + "@" + held + " where " + index + "@" + c.term() + " was committed by term "
                    + c.commitTermBound());
        }
    }

    public long maxCommitted() {
        return maxCommitted;
    }

    public long elections() {
        return elections;
    }

    public static long entryHash(Entry e) {
        return SimTrace.mix(SimTrace.hash(e.data()), e.type().ordinal());
    }
}

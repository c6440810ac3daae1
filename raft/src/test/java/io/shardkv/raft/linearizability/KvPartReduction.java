package io.shardkv.raft.linearizability;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reductions {@link KvModel} applies to one key's operations before the search. Each keeps the
 * verdict exact; the argument is given with each rule. "A read" below is a completed get (gets of
 * unknown outcome are already gone, see {@link KvModel#partition}); "L" is any linearization of the
 * key's operations; a write's "value" is what it leaves behind (the put's value, or absent for a
 * delete).
 *
 * <ol>
 *   <li><b>A read of a value that no put wrote, or that returned before every put of that value
 *       was called, is illegal at once.</b> The key starts absent and only a put of {@code v} makes
 *       it {@code v}, so some put of {@code v} precedes the read in every L; a put called after the
 *       read returned cannot, since L respects real time.</li>
 *   <li><b>A write of unknown outcome whose value no read could have observed is dropped.</b> A
 *       read could have observed it only if it did not return before the write was called. Given an
 *       L in which the write takes effect, every read between it and the next write (or the end)
 *       is placed after it, so returned no earlier than its call, and reads its value: there are
 *       no such reads. Removing the write from L changes the state seen by nothing, and removing
 *       an operation never breaks a real-time constraint; an unknown write may not have happened,
 *       so the shorter sequence is a linearization. Without this rule every subset of such writes
 *       is a separate configuration of the search: 2^n for n timed-out writes.</li>
 *   <li><b>A put of unknown outcome whose value no other put writes, and that a read observed, is
 *       taken to have returned when the first of those reads returned.</b> That read needs the
 *       put before it in every L (nothing else writes the value), so the put takes effect, and at
 *       a point no later than the read's return. Every operation called after that return comes
 *       after the read in L, hence after the put: exactly the real-time constraints of a put that
 *       completed then. The reverse direction holds because a narrower interval only removes
 *       linearizations. The put stops being open-ended, so the search no longer tries it at every
 *       later point. (Puts in the simulation and in the end-to-end tests write unique values.)</li>
 *   <li><b>While a value that only one put writes is current and a read of it is still to be
 *       placed, no write may be placed</b> (a guard on the search, {@link Reduction.Guard}). Once
 *       the key holds anything else, nothing can bring that value back, so the read could never be
 *       placed: in every L all reads of the value sit between its put and the next write. Without
 *       the guard, n overlapping puts each seen by its own read are explored in every order of the
 *       puts before the first read is tried: n! paths where one suffices.</li>
 * </ol>
 */
final class KvPartReduction {

    private KvPartReduction() {
    }

    static Reduction<KvInput, KvOutput> reduce(List<Operation<KvInput, KvOutput>> part) {
        Map<String, List<Operation<KvInput, KvOutput>>> putsOf = new HashMap<>();
        Map<Optional<String>, List<Operation<KvInput, KvOutput>>> readsOf = new HashMap<>();
        for (Operation<KvInput, KvOutput> op : part) {
            if (op.input() instanceof KvInput.Put put) {
                putsOf.computeIfAbsent(put.value(), v -> new ArrayList<>()).add(op);
            } else if (op.input() instanceof KvInput.Get && !op.isUnknown()) {
                readsOf.computeIfAbsent(((KvOutput.Read) op.output()).value(), v -> new ArrayList<>()).add(op);
            }
        }
        Reduction<KvInput, KvOutput> impossible = impossibleRead(putsOf, readsOf);
        if (impossible != null) {
            return impossible;
        }
        List<Operation<KvInput, KvOutput>> ops = new ArrayList<>(part.size());
        Map<Operation<KvInput, KvOutput>, Operation<KvInput, KvOutput>> originals = new IdentityHashMap<>();
        for (Operation<KvInput, KvOutput> op : part) {
            if (!op.isUnknown() || op.input() instanceof KvInput.Get) {
                ops.add(op);
                continue;
            }
            Optional<String> value = valueLeftBy(op.input());
            List<Operation<KvInput, KvOutput>> observers = readsOf.getOrDefault(value, List.of()).stream()
                    .filter(read -> read.returnTime() >= op.callTime())
                    .toList();
            if (observers.isEmpty()) {
                continue; // rule 2
            }
            if (value.isPresent() && putsOf.get(value.get()).size() == 1) {
                long firstReturn = observers.stream().mapToLong(Operation::returnTime).min().orElseThrow();
                Operation<KvInput, KvOutput> pinned =
                        Operation.completed(op.clientId(), op.input(), KvOutput.ack(), op.callTime(), firstReturn);
                originals.put(pinned, op);
                ops.add(pinned); // rule 3
                continue;
            }
            ops.add(op);
        }
        return new Reduction.Simplified<>(ops, originals, readsBeforeOverwrite(ops));
    }

    /** Rule 4: a guard over the indices of {@code ops}. */
    private static Reduction.Guard readsBeforeOverwrite(List<Operation<KvInput, KvOutput>> ops) {
        Map<String, List<Integer>> putsOf = new HashMap<>();
        Map<String, List<Integer>> readsOf = new HashMap<>();
        boolean[] isWrite = new boolean[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            Operation<KvInput, KvOutput> op = ops.get(i);
            if (op.input() instanceof KvInput.Put put) {
                putsOf.computeIfAbsent(put.value(), v -> new ArrayList<>()).add(i);
                isWrite[i] = true;
            } else if (op.input() instanceof KvInput.Delete) {
                isWrite[i] = true;
            } else if (!op.isUnknown() && ((KvOutput.Read) op.output()).value().isPresent()) {
                readsOf.computeIfAbsent(((KvOutput.Read) op.output()).value().get(), v -> new ArrayList<>()).add(i);
            }
        }
        List<int[]> groups = new ArrayList<>(); // {put, read, read, ...}
        for (Map.Entry<String, List<Integer>> e : readsOf.entrySet()) {
            List<Integer> puts = putsOf.getOrDefault(e.getKey(), List.of());
            if (puts.size() == 1) {
                int[] group = new int[1 + e.getValue().size()];
                group[0] = puts.get(0);
                for (int r = 0; r < e.getValue().size(); r++) {
                    group[r + 1] = e.getValue().get(r);
                }
                groups.add(group);
            }
        }
        if (groups.isEmpty()) {
            return Reduction.Guard.NONE;
        }
        int[][] seen = groups.toArray(new int[0][]);
        return (linearized, candidate) -> !isWrite[candidate] || !anyReadPending(seen, linearized);
    }

    private static boolean anyReadPending(int[][] groups, BitSet linearized) {
        for (int[] group : groups) {
            if (!linearized.get(group[0])) {
                continue;
            }
            for (int r = 1; r < group.length; r++) {
                if (!linearized.get(group[r])) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Rule 1: the first read, in the order of {@code readsOf}, that no put can explain. */
    private static Reduction<KvInput, KvOutput> impossibleRead(
            Map<String, List<Operation<KvInput, KvOutput>>> putsOf,
            Map<Optional<String>, List<Operation<KvInput, KvOutput>>> readsOf) {
        Operation<KvInput, KvOutput> worst = null;
        String reason = null;
        for (Map.Entry<Optional<String>, List<Operation<KvInput, KvOutput>>> e : readsOf.entrySet()) {
            if (e.getKey().isEmpty()) {
                continue; // absent is the initial value: any read of it may come first
            }
            List<Operation<KvInput, KvOutput>> puts = putsOf.getOrDefault(e.getKey().get(), List.of());
            long firstCall = puts.stream().mapToLong(Operation::callTime).min().orElse(Long.MAX_VALUE);
            for (Operation<KvInput, KvOutput> read : e.getValue()) {
                if (read.returnTime() < firstCall && (worst == null || read.returnTime() < worst.returnTime())) {
                    worst = read;
                    reason = puts.isEmpty()
                            ? "it read " + e.getKey().get() + ", which no put in the history writes"
                            : "it read " + e.getKey().get() + " but returned at " + read.returnTime()
                                    + ", before any put of that value was called (the first at " + firstCall + ")";
                }
            }
        }
        return worst == null ? null : new Reduction.Impossible<>(reason, List.of(worst));
    }

    private static Optional<String> valueLeftBy(KvInput write) {
        return write instanceof KvInput.Put put ? Optional.of(put.value()) : Optional.empty();
    }
}

package io.shardkv.raft.linearizability;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a concurrent history is linearizable with respect to a {@link Model}, in the
 * style of Porcupine: the history is split with {@link Model#partition}, and each part is searched
 * independently for a sequential order that respects real time and the model.
 *
 * <p><b>Time semantics.</b> Operation A precedes B in real time iff {@code A.returnTime <
 * B.callTime}. Equal times mean overlap, so a history is never rejected because of an order that its
 * timestamps leave open. Unknown-outcome operations (see {@link Operation#unknown}) may take effect
 * at any point after their call, or not at all.
 *
 * <p><b>Budget.</b> Each part may use at most {@code maxStepsPerPartition} search steps, where a
 * step is one attempt to linearize a call or one backtrack. Counting steps instead of measuring time
 * makes every verdict, including {@link CheckResult#UNKNOWN}, reproducible from the history alone.
 * Memory grows with the steps taken (at most one memo entry per step).
 *
 * <p><b>Reductions.</b> Before searching a part, the checker lets the model simplify it or refute it
 * outright ({@link Model#reduce}), and the search linearizes interchangeable unknown operations in
 * call order only (see {@link PartitionSearch}). Both keep the verdict exact; they exist because
 * timed-out writes otherwise multiply the configurations to explore. {@link #withoutReductions()}
 * turns them off, for benchmarks and for cross-checking them.
 *
 * <p>Instances are immutable and thread-safe if the model is.
 *
 * @param <S> model state
 * @param <I> operation input
 * @param <O> operation output
 */
public final class LinearizabilityChecker<S, I, O> {

    /** Default per-partition step budget: ample for test histories, bounded in memory. */
    public static final long DEFAULT_MAX_STEPS_PER_PARTITION = 1_000_000L;

    private final Model<S, I, O> model;
    private final long maxStepsPerPartition;
    private final boolean reductions;

    /** A checker with {@link #DEFAULT_MAX_STEPS_PER_PARTITION}. */
    public LinearizabilityChecker(Model<S, I, O> model) {
        this(model, DEFAULT_MAX_STEPS_PER_PARTITION);
    }

    /**
     * A checker that gives up on a partition, answering {@link CheckResult#UNKNOWN} for it, after
     * {@code maxStepsPerPartition} search steps.
     */
    public LinearizabilityChecker(Model<S, I, O> model, long maxStepsPerPartition) {
        this(model, maxStepsPerPartition, true);
    }

    private LinearizabilityChecker(Model<S, I, O> model, long maxStepsPerPartition, boolean reductions) {
        if (maxStepsPerPartition < 0) {
            throw new IllegalArgumentException("maxStepsPerPartition must be >= 0");
        }
        this.model = Objects.requireNonNull(model, "model");
        this.maxStepsPerPartition = maxStepsPerPartition;
        this.reductions = reductions;
    }

    /** The same checker searching every part as it is: the plain Wing &amp; Gong / Lowe search. */
    public LinearizabilityChecker<S, I, O> withoutReductions() {
        return new LinearizabilityChecker<>(model, maxStepsPerPartition, false);
    }

    /** The per-partition step budget. */
    public long maxStepsPerPartition() {
        return maxStepsPerPartition;
    }

    /**
     * Checks a history. The result is {@link CheckResult#ILLEGAL} if any partition is proved
     * illegal (checking stops at the first one), otherwise {@link CheckResult#UNKNOWN} if any
     * partition exhausted its budget, otherwise {@link CheckResult#OK}.
     */
    public CheckReport<I, O> check(List<Operation<I, O>> history) {
        Objects.requireNonNull(history, "history");
        Map<Operation<I, O>, Integer> positions = new IdentityHashMap<>();
        for (int i = 0; i < history.size(); i++) {
            positions.put(Objects.requireNonNull(history.get(i), "operation in history"), i);
        }
        long steps = 0;
        List<String> undecided = new ArrayList<>();
        for (List<Operation<I, O>> part : model.partition(List.copyOf(history))) {
            List<Operation<I, O>> original = List.copyOf(part);
            Reduction<I, O> reduction = reductions ? model.reduce(original) : Reduction.unchanged(original);
            if (reduction instanceof Reduction.Impossible<I, O> impossible) {
                Violation<I, O> violation = refuted(original, impossible, positions);
                return new CheckReport<>(CheckResult.ILLEGAL, steps, Optional.of(violation), undecided);
            }
            Reduction.Simplified<I, O> simplified = (Reduction.Simplified<I, O>) reduction;
            List<Operation<I, O>> ops = simplified.ops();
            PartitionSearch.Outcome<S> outcome =
                    new PartitionSearch<>(model, ops, simplified.guard(), maxStepsPerPartition, reductions).run();
            steps += outcome.steps();
            if (outcome.result() == CheckResult.ILLEGAL) {
                Violation<I, O> violation = explain(original, simplified, explanation(ops, outcome), positions);
                return new CheckReport<>(CheckResult.ILLEGAL, steps, Optional.of(violation), undecided);
            }
            if (outcome.result() == CheckResult.UNKNOWN) {
                undecided.add(model.describePartition(original));
            }
        }
        CheckResult result = undecided.isEmpty() ? CheckResult.OK : CheckResult.UNKNOWN;
        return new CheckReport<>(result, steps, Optional.empty(), undecided);
    }

    /**
     * The search whose longest prefix explains a violation best. A guard stops the search at the
     * first step it can tell leads nowhere, which proves the verdict sooner but leaves a short
     * prefix that shows little (a write refused while a read of the value before it is pending,
     * say, rather than the stale read itself). So the part is searched once more without the
     * guard, within the same budget, and its prefix is shown when that search also ends.
     */
    private PartitionSearch.Outcome<S> explanation(List<Operation<I, O>> ops, PartitionSearch.Outcome<S> guarded) {
        PartitionSearch.Outcome<S> unguarded =
                new PartitionSearch<>(model, ops, Reduction.Guard.NONE, maxStepsPerPartition, reductions).run();
        return unguarded.result() == CheckResult.ILLEGAL ? unguarded : guarded;
    }

    /**
     * Explains a search that found no order, in the partition's own operations: replaced ones are
     * shown as they were recorded, and those the reduction left out are listed with the rest.
     */
    private Violation<I, O> explain(List<Operation<I, O>> original, Reduction.Simplified<I, O> simplified,
                                    PartitionSearch.Outcome<S> outcome, Map<Operation<I, O>, Integer> positions) {
        List<Operation<I, O>> ops = simplified.ops();
        List<Operation<I, O>> prefix = new ArrayList<>();
        Set<Operation<I, O>> inPrefix = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int index : outcome.longestPrefix()) {
            Operation<I, O> op = simplified.original(ops.get(index));
            prefix.add(op);
            inPrefix.add(op);
        }
        List<Operation<I, O>> rest = new ArrayList<>();
        for (Operation<I, O> op : original) {
            if (!inPrefix.contains(op)) {
                rest.add(op);
            }
        }
        rest.sort(Comparator.<Operation<I, O>>comparingLong(Operation::returnTime)
                .thenComparingLong(Operation::callTime));
        String partition = model.describePartition(original);
        Set<S> states = outcome.statesAfterPrefix();
        String message = new ViolationFormatter<>(model, positions)
                .format(partition, original.size(), prefix, states, rest);
        return new Violation<>(partition, prefix, rest, message);
    }

    /** Explains a partition the model refuted without a search. */
    private Violation<I, O> refuted(List<Operation<I, O>> original, Reduction.Impossible<I, O> impossible,
                                    Map<Operation<I, O>, Integer> positions) {
        String partition = model.describePartition(original);
        String message = new ViolationFormatter<>(model, positions)
                .formatRefuted(partition, original.size(), impossible.reason(), impossible.evidence());
        return new Violation<>(partition, List.of(), impossible.evidence(), message);
    }
}

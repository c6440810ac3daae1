package io.shardkv.raft.linearizability;

import java.util.ArrayList;
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

    /** A checker with {@link #DEFAULT_MAX_STEPS_PER_PARTITION}. */
    public LinearizabilityChecker(Model<S, I, O> model) {
        this(model, DEFAULT_MAX_STEPS_PER_PARTITION);
    }

    /**
     * A checker that gives up on a partition, answering {@link CheckResult#UNKNOWN} for it, after
     * {@code maxStepsPerPartition} search steps.
     */
    public LinearizabilityChecker(Model<S, I, O> model, long maxStepsPerPartition) {
        if (maxStepsPerPartition < 0) {
            throw new IllegalArgumentException("maxStepsPerPartition must be >= 0");
        }
        this.model = Objects.requireNonNull(model, "model");
        this.maxStepsPerPartition = maxStepsPerPartition;
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
            List<Operation<I, O>> ops = List.copyOf(part);
            PartitionSearch.Outcome<S> outcome = new PartitionSearch<>(model, ops, maxStepsPerPartition).run();
            steps += outcome.steps();
            if (outcome.result() == CheckResult.ILLEGAL) {
                Violation<I, O> violation = explain(ops, outcome, positions);
                return new CheckReport<>(CheckResult.ILLEGAL, steps, Optional.of(violation), undecided);
            }
            if (outcome.result() == CheckResult.UNKNOWN) {
                undecided.add(model.describePartition(ops));
            }
        }
        CheckResult result = undecided.isEmpty() ? CheckResult.OK : CheckResult.UNKNOWN;
        return new CheckReport<>(result, steps, Optional.empty(), undecided);
    }

    private Violation<I, O> explain(List<Operation<I, O>> ops, PartitionSearch.Outcome<S> outcome,
                                    Map<Operation<I, O>, Integer> positions) {
        List<Operation<I, O>> prefix = new ArrayList<>();
        boolean[] inPrefix = new boolean[ops.size()];
        for (int index : outcome.longestPrefix()) {
            prefix.add(ops.get(index));
            inPrefix[index] = true;
        }
        List<Operation<I, O>> rest = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            if (!inPrefix[i]) {
                rest.add(ops.get(i));
            }
        }
        rest.sort(Comparator.<Operation<I, O>>comparingLong(Operation::returnTime)
                .thenComparingLong(Operation::callTime));
        String partition = model.describePartition(ops);
        Set<S> states = outcome.statesAfterPrefix();
        String message = new ViolationFormatter<>(model, positions)
                .format(partition, ops.size(), prefix, states, rest);
        return new Violation<>(partition, prefix, rest, message);
    }
}

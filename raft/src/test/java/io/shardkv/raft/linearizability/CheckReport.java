package io.shardkv.raft.linearizability;

import java.util.List;
import java.util.Optional;

/**
 * Full answer of {@link LinearizabilityChecker#check}: the verdict plus what is needed to explain it.
 *
 * @param result              the verdict
 * @param steps               search steps used, summed over the partitions examined
 * @param violation           present exactly when {@code result} is {@link CheckResult#ILLEGAL}
 * @param undecidedPartitions partitions whose search ran out of budget (non-empty exactly when
 *                            {@code result} is {@link CheckResult#UNKNOWN})
 * @param <I>                 input type
 * @param <O>                 output type
 */
public record CheckReport<I, O>(
        CheckResult result,
        long steps,
        Optional<Violation<I, O>> violation,
        List<String> undecidedPartitions) {

    public CheckReport {
        undecidedPartitions = List.copyOf(undecidedPartitions);
        if (violation.isPresent() != (result == CheckResult.ILLEGAL)) {
            throw new IllegalArgumentException("a violation accompanies exactly the ILLEGAL result");
        }
    }

    /** True if the history was proved linearizable. */
    public boolean isOk() {
        return result == CheckResult.OK;
    }

    /** A message suitable for a test failure, e.g. {@code assertThat(..).as(report.explain())}. */
    public String explain() {
        switch (result) {
            case OK:
                return "history is linearizable (" + steps + " search steps)";
            case ILLEGAL:
                return violation.orElseThrow().message();
            default:
                return "linearizability undecided: search budget exhausted after " + steps
                        + " steps in " + undecidedPartitions;
        }
    }

    @Override
    public String toString() {
        return result + ": " + explain();
    }
}

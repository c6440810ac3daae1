package io.shardkv.raft.linearizability;

import java.util.List;

/**
 * Evidence that a history is not linearizable, for failure messages.
 *
 * <p>The search cannot point at a single "bad" operation in general, so this reports the
 * furthest it got: the longest sequence of operations it could linearize in the offending
 * partition, and the operations it could not append to it.
 *
 * @param partition                 the model's name for the illegal partition, e.g. a key
 * @param longestLinearizablePrefix the deepest linearization found, in linearization order
 * @param notLinearized             the partition's other operations ordered by return time; the
 *                                  first known one is an operation that could not take effect
 *                                  before it returned, given that prefix
 * @param message                   a multi-line human-readable account of the above
 * @param <I>                       input type
 * @param <O>                       output type
 */
public record Violation<I, O>(
        String partition,
        List<Operation<I, O>> longestLinearizablePrefix,
        List<Operation<I, O>> notLinearized,
        String message) {

    public Violation {
        longestLinearizablePrefix = List.copyOf(longestLinearizablePrefix);
        notLinearized = List.copyOf(notLinearized);
    }

    @Override
    public String toString() {
        return message;
    }
}

package io.shardkv.raft.linearizability;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Sequential specification of an object, used by {@link LinearizabilityChecker}.
 *
 * <p>Implementations must be pure: {@code step} may not mutate its arguments and must answer the
 * same way every time. States must be immutable, non-null values with value-based
 * {@code equals}/{@code hashCode} (records and {@code Optional} are ideal), because the checker
 * memoizes on them: two equal states are assumed to accept exactly the same futures.
 *
 * @param <S> state of the sequential object
 * @param <I> operation input
 * @param <O> operation output
 */
public interface Model<S, I, O> {

    /** State before any operation. */
    S init();

    /**
     * Applies one operation to {@code state}.
     *
     * <p>If {@code output} is empty the client never saw a response, so every output must be
     * accepted: return the states the operation could lead to regardless of what it returned.
     * (The checker separately allows such an operation to never take effect, so the model does not
     * have to express that.)
     *
     * @return every state the object may be in afterwards; empty if the operation, with this
     *     output, is impossible from {@code state}. More than one state describes a
     *     nondeterministic specification.
     */
    Set<S> step(S state, I input, Optional<O> output);

    /**
     * Splits a history into sub-histories that can be checked independently, e.g. one per key of
     * a key-value store. Linearizability is compositional, so the history is linearizable iff
     * every part is. Every operation must land in exactly one part, except that operations which
     * cannot influence the verdict (e.g. a read whose result was never seen) may be left out. The
     * default keeps the whole history together.
     */
    default List<List<Operation<I, O>>> partition(List<Operation<I, O>> history) {
        return List.of(history);
    }

    /**
     * Simplifies one part returned by {@link #partition} before it is searched, or proves it
     * illegal outright. The result must be linearizable exactly when {@code part} is; each rule a
     * model uses must be argued in its documentation, because a wrong one hides violations. The
     * default changes nothing.
     */
    default Reduction<I, O> reduce(List<Operation<I, O>> part) {
        return Reduction.unchanged(part);
    }

    /** Names a part returned by {@link #partition} in failure messages, e.g. {@code key "x"}. */
    default String describePartition(List<Operation<I, O>> part) {
        return "entire history";
    }

    /** Renders an operation's input and output in failure messages, e.g. {@code get(x) -> 1}. */
    default String describeOperation(Operation<I, O> op) {
        return op.input() + " -> " + (op.isUnknown() ? "?" : String.valueOf(op.output()));
    }

    /** Renders a state in failure messages. */
    default String describeState(S state) {
        return String.valueOf(state);
    }
}

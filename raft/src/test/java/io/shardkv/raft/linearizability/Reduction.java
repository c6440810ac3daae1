package io.shardkv.raft.linearizability;

import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Model#reduce} made of one partition before the search: either a smaller,
 * equivalent set of operations, or a proof that the partition is not linearizable that needed no
 * search at all.
 *
 * @param <I> operation input
 * @param <O> operation output
 */
public sealed interface Reduction<I, O> permits Reduction.Simplified, Reduction.Impossible {

    /** The partition as it is, for models that know no reduction. */
    static <I, O> Reduction<I, O> unchanged(List<Operation<I, O>> part) {
        return new Simplified<>(part, new IdentityHashMap<>(), Guard.NONE);
    }

    /**
     * A rule the search must respect on top of the model, to prune early: an operation the guard
     * refuses at some point could not come next in any linearization extending what is already
     * linearized. Refusing more than that would hide linearizations, so a guard must be argued as
     * carefully as the reduction that made it.
     */
    @FunctionalInterface
    interface Guard {
        /** Allows everything. */
        Guard NONE = (linearized, candidate) -> true;

        /**
         * @param linearized indices (into {@link Simplified#ops()}) linearized so far
         * @param candidate  the index the search would linearize next
         */
        boolean mayLinearize(BitSet linearized, int candidate);
    }

    /**
     * Operations to search instead of the partition. It is linearizable exactly when the partition
     * is; an operation of the partition may be left out (it can be taken never to have happened, or
     * taken to have happened where it changes nothing), or replaced by one with a narrower interval.
     *
     * @param ops       what the search gets
     * @param originals for each replaced operation (by identity), the one of the partition it
     *                  stands for, so that a violation is reported in the history's own terms
     * @param guard     what the search may not linearize next, by index into {@code ops}
     */
    record Simplified<I, O>(List<Operation<I, O>> ops, Map<Operation<I, O>, Operation<I, O>> originals,
                            Guard guard) implements Reduction<I, O> {
        public Simplified {
            ops = List.copyOf(ops);
            IdentityHashMap<Operation<I, O>, Operation<I, O>> copy = new IdentityHashMap<>(originals);
            originals = copy;
        }

        /** The partition's operation that {@code op} stands for. */
        public Operation<I, O> original(Operation<I, O> op) {
            return originals.getOrDefault(op, op);
        }
    }

    /**
     * The partition has no linearization, for a reason seen without searching (e.g. a read of a
     * value that no write produced).
     *
     * @param reason   one sentence saying why, naming the operations
     * @param evidence the operations that cannot be ordered, from the partition
     */
    record Impossible<I, O>(String reason, List<Operation<I, O>> evidence) implements Reduction<I, O> {
        public Impossible {
            evidence = List.copyOf(evidence);
        }
    }
}

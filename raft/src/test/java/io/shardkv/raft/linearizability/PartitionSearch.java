package io.shardkv.raft.linearizability;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Depth-first search for a linearization of one partition (Wing &amp; Gong's algorithm with Lowe's
 * memoization, as popularised by Porcupine).
 *
 * <p>The search walks the time-ordered event list. At a call event it tries to linearize that
 * operation next: if the model accepts it and the resulting (set of linearized operations,
 * model states) configuration has not been explored before, it commits, lifts the operation's
 * events out of the list and restarts from the front. Reaching a return event means that operation
 * should already have been linearized, so the latest choice is undone and the next candidate after
 * it is tried. Running out of choices proves the partition illegal.
 *
 * <p>Nondeterministic models are handled by tracking the <em>set</em> of states the object may be
 * in, so one path through the search covers every resolution of the nondeterminism.
 *
 * <p><b>Unknown operations.</b> Their return events sit at {@link Operation#UNKNOWN_RETURN_TIME},
 * after every known event, so they can be linearized anywhere after their call. The search stops
 * with success as soon as every operation with a known outcome is linearized; unknown operations
 * still unplaced at that point are taken never to have happened. (Porcupine gets the same effect by
 * linearizing them last, where nothing can observe them; stopping early additionally keeps the
 * verdict correct for models that reject some inputs even when any output is acceptable.)
 *
 * <p><b>Interchangeable unknown operations.</b> Two unknown operations with equal inputs are
 * interchangeable, and the search only ever linearizes them in the order of their calls: the one
 * called later is tried only once the earlier one is linearized. This loses no linearization. Take
 * one in which such operations sit at positions p1 &lt; ... &lt; pm, and put the m earliest-called
 * of them there instead, in call order. The same inputs give the same states. An unknown operation
 * never returns, so its only real-time constraint is that every operation that returned before
 * its call comes before it. The i-th earliest call is no later than the latest call among the
 * operations at p1..pi, so what it requires was already required at one of those positions, which
 * are no later than pi. Without the rule, k timed-out deletes of one key are 2^k configurations
 * instead of k + 1.
 *
 * <p><b>Memo.</b> An explored configuration is kept as the words of its linearized set plus the
 * (shared, immutable) set of model states, with the hash computed once: exact, so a hash
 * collision can never prune a path that was not explored.
 */
final class PartitionSearch<S, I, O> {

    /** What the search found; {@code longestPrefix} lists operation indices in linearization order. */
    record Outcome<S>(CheckResult result, long steps, List<Integer> longestPrefix, Set<S> statesAfterPrefix) {
    }

    /** An explored configuration: which operations are linearized, and the states they may leave. */
    private static final class Configuration<S> {
        private final long[] linearized;
        private final Set<S> states;
        private final int hash;

        Configuration(BitSet linearized, Set<S> states) {
            this.linearized = linearized.toLongArray();
            this.states = states;
            this.hash = 31 * Arrays.hashCode(this.linearized) + states.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Configuration<?> c && c.hash == hash && Arrays.equals(c.linearized, linearized)
                    && c.states.equals(states);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** A committed choice: which call was linearized and the states from before it. */
    private record Choice<S>(EventList.Event call, Set<S> statesBefore) {
    }

    private final Model<S, I, O> model;
    private final List<Operation<I, O>> ops;
    private final long maxSteps;
    private final Reduction.Guard guard;
    /**
     * For each unknown operation, the unknown operation with an equal input called just before it
     * (in event order), or -1; it may be linearized only after that one. All -1 when the rule is off.
     */
    private final int[] earlierTwin;
    private final boolean orderTwins;

    private List<Integer> longestPrefix = List.of();
    private Set<S> statesAfterLongest;

    PartitionSearch(Model<S, I, O> model, List<Operation<I, O>> ops, Reduction.Guard guard, long maxSteps,
                    boolean orderTwins) {
        this.model = model;
        this.ops = ops;
        this.guard = guard;
        this.maxSteps = maxSteps;
        this.orderTwins = orderTwins;
        this.earlierTwin = new int[ops.size()];
        Arrays.fill(earlierTwin, -1);
    }

    Outcome<S> run() {
        EventList events = new EventList(ops);
        if (orderTwins) {
            Map<I, Integer> lastCalled = new HashMap<>();
            for (EventList.Event e = events.first(); e != null; e = e.next) {
                Operation<I, O> op = ops.get(e.op);
                if (e.isCall && op.isUnknown()) {
                    Integer twin = lastCalled.put(op.input(), e.op);
                    earlierTwin[e.op] = twin == null ? -1 : twin;
                }
            }
        }
        BitSet linearized = new BitSet(ops.size());
        Set<Configuration<S>> explored = new HashSet<>();
        Deque<Choice<S>> choices = new ArrayDeque<>();
        Set<S> states = Set.of(model.init());
        statesAfterLongest = states;
        int knownLeft = (int) ops.stream().filter(op -> !op.isUnknown()).count();

        EventList.Event cursor = events.first();
        long steps = 0;
        // While a known operation is unplaced its return event is still in the list, ahead of every
        // unknown return, so the cursor always meets a return event before falling off the end.
        while (knownLeft > 0) {
            if (steps >= maxSteps) {
                return outcome(CheckResult.UNKNOWN, steps);
            }
            steps++;
            if (cursor.isCall) {
                Operation<I, O> op = ops.get(cursor.op);
                int twin = earlierTwin[cursor.op];
                boolean allowed = (twin < 0 || linearized.get(twin)) && guard.mayLinearize(linearized, cursor.op);
                Set<S> next = allowed ? successors(states, op) : Set.of();
                if (!next.isEmpty()) {
                    linearized.set(cursor.op);
                    if (explored.add(new Configuration<>((BitSet) linearized.clone(), next))) {
                        choices.push(new Choice<>(cursor, states));
                        states = next;
                        events.lift(cursor);
                        if (!op.isUnknown()) {
                            knownLeft--;
                        }
                        noteProgress(choices, states);
                        cursor = events.first();
                        continue;
                    }
                    linearized.clear(cursor.op); // already explored from here: prune
                }
                cursor = cursor.next;
            } else {
                if (choices.isEmpty()) {
                    return outcome(CheckResult.ILLEGAL, steps);
                }
                Choice<S> undone = choices.pop();
                events.unlift(undone.call());
                linearized.clear(undone.call().op);
                states = undone.statesBefore();
                if (!ops.get(undone.call().op).isUnknown()) {
                    knownLeft++;
                }
                cursor = undone.call().next;
            }
        }
        return outcome(CheckResult.OK, steps);
    }

    private Set<S> successors(Set<S> states, Operation<I, O> op) {
        Optional<O> output = op.knownOutput();
        if (states.size() == 1) {
            return Set.copyOf(model.step(states.iterator().next(), op.input(), output));
        }
        Set<S> next = new HashSet<>();
        for (S s : states) {
            next.addAll(model.step(s, op.input(), output));
        }
        return Set.copyOf(next);
    }

    /** Remembers the deepest linearization seen, which is what a failure message shows. */
    private void noteProgress(Deque<Choice<S>> choices, Set<S> states) {
        if (choices.size() <= longestPrefix.size()) {
            return;
        }
        List<Integer> prefix = new ArrayList<>(choices.size());
        for (Iterator<Choice<S>> it = choices.descendingIterator(); it.hasNext(); ) {
            prefix.add(it.next().call().op);
        }
        longestPrefix = prefix;
        statesAfterLongest = states;
    }

    private Outcome<S> outcome(CheckResult result, long steps) {
        return new Outcome<>(result, steps, List.copyOf(longestPrefix), statesAfterLongest);
    }
}

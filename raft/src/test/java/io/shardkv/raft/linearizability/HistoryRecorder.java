package io.shardkv.raft.linearizability;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Collects a history from a running test or simulation, for {@link LinearizabilityChecker}.
 *
 * <p>Call {@link #invoke} when a client sends a request and {@link #complete} when it sees the
 * response; call {@link #completeUnknown} when the client gives up (timeout, crash), because the
 * request may still take effect later. Operations never completed by the time {@link #history()}
 * is called are likewise reported as unknown.
 *
 * <p><b>Times</b> are logical instants chosen by the caller, such as simulated ticks or a global
 * event counter; they only need to be consistent with real order (an event that really happened
 * later must not get a smaller time). Equal times mean "order unknown": an operation invoked at the
 * same instant another completes is treated as overlapping it. With a coarse clock (several events
 * per tick) this is safe but can hide a violation that depends on the order within one tick;
 * callers wanting full precision should stamp events with a counter that increases on every
 * recorded event.
 *
 * <p>Methods are synchronized so that a multi-threaded harness may share one recorder.
 *
 * @param <I> operation input
 * @param <O> operation output
 */
public final class HistoryRecorder<I, O> {

    /** Mutable bookkeeping for one operation until the history is taken. */
    private static final class Pending<I, O> {
        final long clientId;
        final I input;
        final long callTime;
        O output;
        long returnTime;
        boolean finished;

        Pending(long clientId, I input, long callTime) {
            this.clientId = clientId;
            this.input = input;
            this.callTime = callTime;
        }
    }

    private final List<Pending<I, O>> ops = new ArrayList<>();

    /**
     * Records that {@code clientId} issued {@code input} at time {@code now}.
     *
     * @return the id to pass to {@link #complete} or {@link #completeUnknown}
     */
    public synchronized long invoke(long clientId, I input, long now) {
        Objects.requireNonNull(input, "input");
        if (now == Operation.UNKNOWN_RETURN_TIME) {
            throw new IllegalArgumentException("Long.MAX_VALUE is reserved for unknown return times");
        }
        ops.add(new Pending<>(clientId, input, now));
        return ops.size() - 1;
    }

    /** Records that operation {@code opId} returned {@code output} at time {@code now}. */
    public synchronized void complete(long opId, O output, long now) {
        Objects.requireNonNull(output, "output (use completeUnknown for an unobserved outcome)");
        Pending<I, O> op = unfinished(opId);
        if (now < op.callTime || now == Operation.UNKNOWN_RETURN_TIME) {
            throw new IllegalArgumentException(
                    "operation " + opId + " called at " + op.callTime + " cannot return at " + now);
        }
        op.output = output;
        op.returnTime = now;
        op.finished = true;
    }

    /**
     * Records that the client stopped waiting for operation {@code opId}: it may have taken effect
     * at any time after its call, or never.
     */
    public synchronized void completeUnknown(long opId) {
        Pending<I, O> op = unfinished(opId);
        op.output = null;
        op.returnTime = Operation.UNKNOWN_RETURN_TIME;
        op.finished = true;
    }

    /**
     * A snapshot of the history in invocation order; operations not yet completed appear as
     * unknown. The recorder stays usable afterwards.
     */
    public synchronized List<Operation<I, O>> history() {
        List<Operation<I, O>> result = new ArrayList<>(ops.size());
        for (Pending<I, O> op : ops) {
            result.add(op.finished && op.output != null
                    ? Operation.completed(op.clientId, op.input, op.output, op.callTime, op.returnTime)
                    : Operation.unknown(op.clientId, op.input, op.callTime));
        }
        return List.copyOf(result);
    }

    /** Number of operations invoked so far. */
    public synchronized int size() {
        return ops.size();
    }

    private Pending<I, O> unfinished(long opId) {
        if (opId < 0 || opId >= ops.size()) {
            throw new IllegalArgumentException("unknown operation id " + opId);
        }
        Pending<I, O> op = ops.get((int) opId);
        if (op.finished) {
            throw new IllegalStateException("operation " + opId + " was already completed");
        }
        return op;
    }
}

package io.shardkv.raft.linearizability;

import java.util.Objects;
import java.util.Optional;

/**
 * One client operation in a history: what was asked, what came back and the interval during which
 * it was in flight.
 *
 * <p>Times are caller-defined logical instants (simulated ticks, a global event counter, ...). The
 * operation must take effect atomically at some point inside {@code [callTime, returnTime]}. When a
 * call time equals another operation's return time the checker treats the two operations as
 * <em>concurrent</em>: neither is known to precede the other (see {@link LinearizabilityChecker}).
 *
 * <p><b>Unknown outcomes.</b> If the client gave up (timeout, crash) we do not know whether the
 * operation took effect. Such an operation has a {@code null} output and a return time of
 * {@link #UNKNOWN_RETURN_TIME}; build it with {@link #unknown}. The checker may then place it
 * anywhere after its call, accepting any output, or leave it out entirely.
 *
 * @param clientId   who issued the operation; only used in messages
 * @param input      the request, never null
 * @param output     the observed response, or {@code null} if the outcome is unknown
 * @param callTime   when the request was issued
 * @param returnTime when the response was observed, or {@link #UNKNOWN_RETURN_TIME} if never
 * @param <I>        input type
 * @param <O>        output type
 */
public record Operation<I, O>(long clientId, I input, O output, long callTime, long returnTime) {

    /** Return time of an operation whose outcome is unknown: it may take effect at any later time. */
    public static final long UNKNOWN_RETURN_TIME = Long.MAX_VALUE;

    /** Validates that "unknown output" and "infinite return time" always go together. */
    public Operation {
        Objects.requireNonNull(input, "input");
        if (returnTime < callTime) {
            throw new IllegalArgumentException(
                    "return time " + returnTime + " precedes call time " + callTime);
        }
        boolean infinite = returnTime == UNKNOWN_RETURN_TIME;
        if ((output == null) != infinite) {
            throw new IllegalArgumentException(
                    "an operation has a null output exactly when its return time is UNKNOWN_RETURN_TIME;"
                            + " use Operation.unknown(...) for timed-out operations");
        }
    }

    /** An operation that completed with {@code output} at {@code returnTime}. */
    public static <I, O> Operation<I, O> completed(
            long clientId, I input, O output, long callTime, long returnTime) {
        return new Operation<>(clientId, input, Objects.requireNonNull(output, "output"), callTime, returnTime);
    }

    /** An operation issued at {@code callTime} whose outcome was never observed. */
    public static <I, O> Operation<I, O> unknown(long clientId, I input, long callTime) {
        return new Operation<>(clientId, input, null, callTime, UNKNOWN_RETURN_TIME);
    }

    /** True if the outcome was never observed, so any output (or no effect at all) is acceptable. */
    public boolean isUnknown() {
        return output == null;
    }

    /** The observed output, or empty if the outcome is unknown. */
    public Optional<O> knownOutput() {
        return Optional.ofNullable(output);
    }
}

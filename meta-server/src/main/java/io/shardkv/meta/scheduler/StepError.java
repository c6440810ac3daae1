package io.shardkv.meta.scheduler;

/**
 * Why a task's step did not succeed this time, typed: what kind of failure, on which kv-server,
 * with which error code. The scheduler records a retry's error in the map only when its
 * {@link #code()} changes: a message that differs only in numbers ("120 of 5000 entries
 * behind") is the same failure, and recording it would bump the map version on every pass.
 *
 * @param cause    the kind of failure
 * @param serverId the kv-server it happened on, or 0 when none in particular
 * @param kvCode   the KvAdmin error code the server answered with, or empty
 * @param message  what happened, for an operator
 */
public record StepError(Cause cause, long serverId, String kvCode, String message) {

    /** Kinds of step failure. */
    public enum Cause {
        /** The kv-server did not answer (down, unreachable, deadline exceeded). */
        UNREACHABLE,
        /** The kv-server answered with an error ({@code kvCode}). */
        REFUSED,
        /** Nothing failed, but what the step waits for has not happened yet. */
        WAITING
    }

    public StepError {
        if (cause == null || kvCode == null || message == null) {
            throw new IllegalArgumentException("cause, code and message are required");
        }
    }

    static StepError unreachable(long serverId, String message) {
        return new StepError(Cause.UNREACHABLE, serverId, "", message);
    }

    static StepError refused(long serverId, String kvCode, String message) {
        return new StepError(Cause.REFUSED, serverId, kvCode, message);
    }

    static StepError waiting(long serverId, String message) {
        return new StepError(Cause.WAITING, serverId, "", message);
    }

    /** The same error with more context in front of its message. */
    StepError prefixed(String context) {
        return new StepError(cause, serverId, kvCode, context + message);
    }

    /** The same error with more context after its message. */
    StepError suffixed(String context) {
        return new StepError(cause, serverId, kvCode, message + context);
    }

    /** What identifies this failure, whatever its numbers: recorded next to the message. */
    public String code() {
        return cause + (serverId == 0 ? "" : "@" + serverId) + (kvCode.isEmpty() ? "" : ":" + kvCode);
    }
}

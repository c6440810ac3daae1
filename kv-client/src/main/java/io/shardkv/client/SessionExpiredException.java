package io.shardkv.client;

import io.shardkv.kv.proto.ErrorCode;

/**
 * A group no longer has this client's session (it was evicted or expired), so it refused the
 * write rather than risk applying a retry twice. When {@link #neverApplied()} holds, no attempt
 * of the write can have applied, and the client sends it again under a new client id by itself;
 * otherwise an earlier attempt may or may not have applied, and the caller sees this exception.
 */
public final class SessionExpiredException extends KvException {
    private final long horizon;
    private final boolean neverApplied;

    SessionExpiredException(String message, long horizon, boolean neverApplied) {
        super(ErrorCode.SESSION_EXPIRED, message);
        this.horizon = horizon;
        this.neverApplied = neverApplied;
    }

    /** The group's session horizon: a client id stamped after it is new to the group. */
    public long horizon() {
        return horizon;
    }

    /** True when no attempt of the write can have applied (the refused one was its only one). */
    public boolean neverApplied() {
        return neverApplied;
    }
}

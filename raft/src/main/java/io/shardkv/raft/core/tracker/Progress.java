package io.shardkv.raft.core.tracker;

/**
 * The leader's view of one replica's log. Lives only in the leader's state.
 *
 * <p>Invariant: {@code 0 <= match < next}.
 */
public final class Progress {
    private long match;
    private long next;
    private ProgressState state = ProgressState.PROBE;
    /** In SNAPSHOT state, the index of the snapshot being sent. */
    private long pendingSnapshot;
    /** Ticks spent in SNAPSHOT state without hearing of the outcome. */
    private int snapshotTicks;
    /** In PROBE state, set once an append was sent; cleared by a response or heartbeat response. */
    private boolean probeSent;
    /** Heard from since the last CheckQuorum round. */
    private boolean recentActive;
    /** Ticks since this replica last answered the leader; for status only. */
    private long inactiveTicks;
    private final boolean learner;
    private final Inflights inflights;

    public Progress(long match, long next, boolean learner, int maxInflightMsgs, long maxInflightBytes) {
        if (match < 0 || next <= match) {
            throw new IllegalStateException("bad progress match=" + match + " next=" + next);
        }
        this.match = match;
        this.next = next;
        this.learner = learner;
        this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
    }

    /** A copy with a new learner flag, for promotion; replication state carries over. */
    public Progress withLearner(boolean newLearner, int maxInflightMsgs, long maxInflightBytes) {
        Progress p = new Progress(match, next, newLearner, maxInflightMsgs, maxInflightBytes);
        p.recentActive = recentActive;
        if (state == ProgressState.SNAPSHOT) {
            p.becomeSnapshot(pendingSnapshot);
        }
        return p;
    }

    public void becomeProbe() {
        // After a snapshot the follower holds at least the snapshot index, so probe from there.
        if (state == ProgressState.SNAPSHOT) {
            long snapshotIndex = pendingSnapshot;
            resetState(ProgressState.PROBE);
            next = Math.max(match + 1, snapshotIndex + 1);
        } else {
            resetState(ProgressState.PROBE);
            next = match + 1;
        }
    }

    /** The snapshot in flight failed: probe again from what the follower is known to hold. */
    public void snapshotFailed() {
        resetState(ProgressState.PROBE);
        next = match + 1;
    }

    public void becomeReplicate() {
        resetState(ProgressState.REPLICATE);
        next = match + 1;
    }

    public void becomeSnapshot(long snapshotIndex) {
        resetState(ProgressState.SNAPSHOT);
        pendingSnapshot = snapshotIndex;
        next = snapshotIndex + 1;
    }

    private void resetState(ProgressState newState) {
        probeSent = false;
        pendingSnapshot = 0;
        snapshotTicks = 0;
        state = newState;
        inflights.reset();
    }

    /**
     * Records that the replica acknowledged {@code index}. Returns false if the ack is stale.
     */
    public boolean maybeUpdate(long index) {
        boolean updated = false;
        if (match < index) {
            match = index;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, index + 1);
        return updated;
    }

    /**
     * Handles a rejected append of prev index {@code rejected}; {@code matchHint} is where the
     * leader now guesses the logs agree. Returns false if the rejection is stale.
     */
    public boolean maybeDecreaseTo(long rejected, long matchHint) {
        if (state == ProgressState.REPLICATE) {
            // Appends are pipelined; a rejection at or below match is from an earlier round.
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            return true;
        }
        // In PROBE only the single outstanding append matters.
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
        probeSent = false;
        return true;
    }

    /** Accounts for an append just sent, whose entries end at {@code lastIndex}. */
    public void sentEntries(int entryCount, long lastIndex, long bytes) {
        switch (state) {
            case REPLICATE -> {
                if (entryCount > 0) {
                    next = lastIndex + 1;
                    inflights.add(lastIndex, bytes);
                }
            }
            case PROBE -> probeSent = true;
            case SNAPSHOT -> throw new IllegalStateException("sending entries in SNAPSHOT state");
        }
    }

    /** Whether the leader should hold further appends to this replica for now. */
    public boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    public void resume() {
        probeSent = false;
    }

    public int tickSnapshot() {
        return ++snapshotTicks;
    }

    public long match() { return match; }
    public long next() { return next; }
    public ProgressState state() { return state; }
    public long pendingSnapshot() { return pendingSnapshot; }
    public boolean isLearner() { return learner; }
    public Inflights inflights() { return inflights; }
    public boolean recentActive() { return recentActive; }
    public long inactiveTicks() { return inactiveTicks; }
    public boolean probeSent() { return probeSent; }

    public void markActive() {
        recentActive = true;
        inactiveTicks = 0;
    }

    public void clearRecentActive() {
        recentActive = false;
    }

    public void tickInactive() {
        inactiveTicks++;
    }

    @Override
    public String toString() {
        return state + " match=" + match + " next=" + next + (learner ? " learner" : "")
                + (state == ProgressState.SNAPSHOT ? " snap=" + pendingSnapshot : "")
                + " inflight=" + inflights.count();
    }
}

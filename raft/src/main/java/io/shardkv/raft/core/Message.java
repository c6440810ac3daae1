package io.shardkv.raft.core;

import java.util.List;

/**
 * A message between two replicas of one group. The group id lives in the transport envelope;
 * inside the core every message belongs to the group of the node handling it.
 *
 * <p>Field use by type:
 * <ul>
 *   <li>APPEND: index/logTerm = the entry before {@code entries}; commit = leader commit;
 *       retainFrom = the first index some member still needs (0: unknown).</li>
 *   <li>APPEND_RESPONSE: index = last index accepted, or on reject the rejected prev index with
 *       rejectHint/logTerm = the follower's conflict hint (an index and the term there).</li>
 *   <li>VOTE/PRE_VOTE: index/logTerm = candidate's last entry; transfer = campaign caused by a
 *       leadership transfer (bypasses the leader-lease check).</li>
 *   <li>HEARTBEAT/RESPONSE: commit; readRequestId = the leader's tag of its newest pending read
 *       round (0 = none), not a requester's id; index = the leader's tick stamp of the round.</li>
 *   <li>READ_INDEX/RESPONSE: readRequestId; index = the read index in the response.</li>
 *   <li>SNAPSHOT: snapshot.</li>
 * </ul>
 */
public record Message(MessageType type, long to, long from, long term, long logTerm, long index,
                      List<Entry> entries, long commit, Snapshot snapshot, boolean reject, long rejectHint,
                      long readRequestId, boolean transfer, long retainFrom) {

    public Message {
        if (type == null) {
            throw new IllegalArgumentException("message type is required");
        }
        entries = entries == null ? List.of() : List.copyOf(entries);
    }

    public static Builder builder(MessageType type) {
        return new Builder(type);
    }

    public Builder toBuilder() {
        return new Builder(type).to(to).from(from).term(term).logTerm(logTerm).index(index).entries(entries)
                .commit(commit).snapshot(snapshot).reject(reject).rejectHint(rejectHint)
                .readRequestId(readRequestId).transfer(transfer).retainFrom(retainFrom);
    }

    /** Sum of entry payloads, as counted against size bounds. */
    public long payloadBytes() {
        long bytes = 0;
        for (Entry e : entries) {
            bytes += e.payloadBytes();
        }
        return bytes;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type.name()).append(' ').append(from).append("->").append(to)
                .append(" t").append(term);
        if (logTerm != 0 || index != 0) {
            sb.append(" idx=").append(index).append('@').append(logTerm);
        }
        if (!entries.isEmpty()) {
            sb.append(" ents=[").append(entries.get(0).index()).append("..")
                    .append(entries.get(entries.size() - 1).index()).append(']');
        }
        if (commit != 0) {
            sb.append(" commit=").append(commit);
        }
        if (reject) {
            sb.append(" REJECT hint=").append(rejectHint);
        }
        if (snapshot != null) {
            sb.append(' ').append(snapshot);
        }
        if (readRequestId != 0) {
            sb.append(" read=").append(readRequestId);
        }
        if (transfer) {
            sb.append(" transfer");
        }
        return sb.toString();
    }

    /** Mutable builder; messages themselves are immutable. */
    public static final class Builder {
        private final MessageType type;
        private long to;
        private long from;
        private long term;
        private long logTerm;
        private long index;
        private List<Entry> entries = List.of();
        private long commit;
        private Snapshot snapshot;
        private boolean reject;
        private long rejectHint;
        private long readRequestId;
        private boolean transfer;
        private long retainFrom;

        private Builder(MessageType type) {
            this.type = type;
        }

        public Builder to(long v) { this.to = v; return this; }
        public Builder from(long v) { this.from = v; return this; }
        public Builder term(long v) { this.term = v; return this; }
        public Builder logTerm(long v) { this.logTerm = v; return this; }
        public Builder index(long v) { this.index = v; return this; }
        public Builder entries(List<Entry> v) { this.entries = v; return this; }
        public Builder commit(long v) { this.commit = v; return this; }
        public Builder snapshot(Snapshot v) { this.snapshot = v; return this; }
        public Builder reject(boolean v) { this.reject = v; return this; }
        public Builder rejectHint(long v) { this.rejectHint = v; return this; }
        public Builder readRequestId(long v) { this.readRequestId = v; return this; }
        public Builder transfer(boolean v) { this.transfer = v; return this; }
        public Builder retainFrom(long v) { this.retainFrom = v; return this; }

        public Message build() {
            return new Message(type, to, from, term, logTerm, index, entries, commit, snapshot, reject, rejectHint,
                    readRequestId, transfer, retainFrom);
        }
    }
}

package io.shardkv.raft.transport;

import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.proto.CoalescedHeartbeat;

/**
 * Turns plain heartbeats and their answers into compact {@link CoalescedHeartbeat} entries
 * and back. A server leading a thousand groups with followers on one peer then sends that
 * peer one frame with a thousand small entries per heartbeat tick, not a thousand messages:
 * heartbeat cost grows with the number of servers, not of groups.
 *
 * <p>Only messages the entry can hold exactly are coalesced, so expanding an entry gives back
 * an equal {@link Message}. A heartbeat that carries a read request keeps its full form,
 * because the entry has no room for the request id.
 */
final class HeartbeatCoalescer {

    private HeartbeatCoalescer() {
    }

    /** True for a HEARTBEAT or HEARTBEAT_RESPONSE whose every field fits an entry. */
    static boolean canCoalesce(Message m) {
        if (m.type() != MessageType.HEARTBEAT && m.type() != MessageType.HEARTBEAT_RESPONSE) {
            return false;
        }
        boolean commitFits = m.type() == MessageType.HEARTBEAT || m.commit() == 0;
        return commitFits && m.readRequestId() == 0 && m.logTerm() == 0 && m.entries().isEmpty()
                && m.snapshot() == null && !m.reject() && m.rejectHint() == 0 && !m.transfer();
    }

    static CoalescedHeartbeat toEntry(long groupId, Message m) {
        if (!canCoalesce(m)) {
            throw new IllegalArgumentException("message cannot be coalesced: " + m);
        }
        return CoalescedHeartbeat.newBuilder().setGroupId(groupId).setTerm(m.term()).setCommit(m.commit())
                .setRound(m.index()).setFrom(m.from()).setTo(m.to()).build();
    }

    /** Expands an entry of a batch's {@code heartbeats} list. */
    static GroupMessage heartbeat(CoalescedHeartbeat h) {
        return expand(h, MessageType.HEARTBEAT);
    }

    /** Expands an entry of a batch's {@code heartbeat_responses} list. */
    static GroupMessage response(CoalescedHeartbeat h) {
        if (h.getCommit() != 0) {
            throw new IllegalArgumentException("heartbeat response of group " + h.getGroupId()
                    + " carries a commit index " + h.getCommit());
        }
        return expand(h, MessageType.HEARTBEAT_RESPONSE);
    }

    private static GroupMessage expand(CoalescedHeartbeat h, MessageType type) {
        if (h.getGroupId() == 0 || h.getFrom() == 0 || h.getTo() == 0) {
            throw new IllegalArgumentException("coalesced " + type + " lacks group/from/to: group "
                    + h.getGroupId() + " " + h.getFrom() + "->" + h.getTo());
        }
        Message m = Message.builder(type).from(h.getFrom()).to(h.getTo()).term(h.getTerm()).commit(h.getCommit())
                .index(h.getRound()).build();
        return new GroupMessage(h.getGroupId(), m);
    }
}

package io.shardkv.raft.transport;

import com.google.protobuf.UnsafeByteOperations;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.AppendEntriesReq;
import io.shardkv.raft.proto.AppendEntriesResp;
import io.shardkv.raft.proto.HeartbeatReq;
import io.shardkv.raft.proto.HeartbeatResp;
import io.shardkv.raft.proto.Quiesce;
import io.shardkv.raft.proto.RaftMessage;
import io.shardkv.raft.proto.ReadIndexReq;
import io.shardkv.raft.proto.ReadIndexResp;
import io.shardkv.raft.proto.RequestVoteReq;
import io.shardkv.raft.proto.RequestVoteResp;
import io.shardkv.raft.proto.TimeoutNow;
import io.shardkv.raft.proto.TransferLeaderReq;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between the core's {@link Message} and the wire's {@link RaftMessage}. Snapshots
 * are not messages on the wire: they travel as chunks on their own stream, so encoding a
 * SNAPSHOT message is refused. Decoding validates what a peer sent and rejects malformed input
 * with an {@link IllegalArgumentException} that says what is wrong.
 */
public final class RaftMessageCodec {
    private static final EntryType[] ENTRY_TYPES = EntryType.values();

    private RaftMessageCodec() {
    }

    public static RaftMessage encode(long groupId, Message m) {
        RaftMessage.Builder b = RaftMessage.newBuilder().setGroupId(groupId).setFrom(m.from()).setTo(m.to());
        switch (m.type()) {
            case APPEND -> b.setAppendEntriesReq(AppendEntriesReq.newBuilder().setLeaderId(m.from()).setTerm(m.term())
                    .setPrevLogIndex(m.index()).setPrevLogTerm(m.logTerm()).setLeaderCommit(m.commit())
                    .setRetainFrom(m.retainFrom()).addAllEntries(encodeEntries(m.entries())));
            case APPEND_RESPONSE -> b.setAppendEntriesResp(AppendEntriesResp.newBuilder().setTerm(m.term())
                    .setSuccess(!m.reject()).setCurrIndex(m.index()).setRejectHintIndex(m.rejectHint())
                    .setRejectHintTerm(m.logTerm()));
            case VOTE, PRE_VOTE -> b.setRequestVoteReq(RequestVoteReq.newBuilder()
                    .setPrevote(m.type() == MessageType.PRE_VOTE).setTerm(m.term()).setCandidateId(m.from())
                    .setLastLogIndex(m.index()).setLastLogTerm(m.logTerm()).setLeadershipTransfer(m.transfer()));
            case VOTE_RESPONSE, PRE_VOTE_RESPONSE -> b.setRequestVoteResp(RequestVoteResp.newBuilder()
                    .setPrevote(m.type() == MessageType.PRE_VOTE_RESPONSE).setTerm(m.term())
                    .setRequestTerm(m.term()).setVoteGranted(!m.reject()));
            case HEARTBEAT -> b.setHeartbeatReq(HeartbeatReq.newBuilder().setTerm(m.term()).setCommit(m.commit())
                    .setRound(m.index()).setReadRequestId(m.readRequestId()));
            case HEARTBEAT_RESPONSE -> b.setHeartbeatResp(HeartbeatResp.newBuilder().setTerm(m.term())
                    .setRound(m.index()).setReadRequestId(m.readRequestId()));
            case READ_INDEX -> b.setReadIndexReq(ReadIndexReq.newBuilder().setTerm(m.term())
                    .setRequestId(m.readRequestId()));
            case READ_INDEX_RESPONSE -> b.setReadIndexResp(ReadIndexResp.newBuilder().setTerm(m.term())
                    .setRequestId(m.readRequestId()).setIndex(m.index()));
            case TRANSFER_LEADER -> b.setTransferLeaderReq(TransferLeaderReq.newBuilder().setTerm(m.term())
                    .setTarget(m.index()));
            case TIMEOUT_NOW -> b.setTimeoutNow(TimeoutNow.newBuilder().setTerm(m.term()));
            case QUIESCE -> b.setQuiesce(Quiesce.newBuilder().setTerm(m.term()).setLastIndex(m.index())
                    .setLastTerm(m.logTerm()).setCommit(m.commit()));
            case SNAPSHOT -> throw new IllegalArgumentException(
                    "snapshots travel on the snapshot stream, not as messages: " + m);
        }
        return b.build();
    }

    public static Message decode(RaftMessage pm) {
        if (pm.getFrom() == 0 || pm.getTo() == 0) {
            throw new IllegalArgumentException("raft message of group " + pm.getGroupId() + " lacks from/to: "
                    + pm.getFrom() + "->" + pm.getTo());
        }
        Message.Builder b;
        switch (pm.getPayloadCase()) {
            case APPEND_ENTRIES_REQ -> {
                AppendEntriesReq r = pm.getAppendEntriesReq();
                b = Message.builder(MessageType.APPEND).term(r.getTerm()).index(r.getPrevLogIndex())
                        .logTerm(r.getPrevLogTerm()).commit(r.getLeaderCommit()).retainFrom(r.getRetainFrom())
                        .entries(decodeEntries(r.getEntriesList(), r.getPrevLogIndex()));
            }
            case APPEND_ENTRIES_RESP -> {
                AppendEntriesResp r = pm.getAppendEntriesResp();
                b = Message.builder(MessageType.APPEND_RESPONSE).term(r.getTerm()).reject(!r.getSuccess())
                        .index(r.getCurrIndex()).rejectHint(r.getRejectHintIndex()).logTerm(r.getRejectHintTerm());
            }
            case REQUEST_VOTE_REQ -> {
                RequestVoteReq r = pm.getRequestVoteReq();
                b = Message.builder(r.getPrevote() ? MessageType.PRE_VOTE : MessageType.VOTE).term(r.getTerm())
                        .index(r.getLastLogIndex()).logTerm(r.getLastLogTerm()).transfer(r.getLeadershipTransfer());
            }
            case REQUEST_VOTE_RESP -> {
                RequestVoteResp r = pm.getRequestVoteResp();
                b = Message.builder(r.getPrevote() ? MessageType.PRE_VOTE_RESPONSE : MessageType.VOTE_RESPONSE)
                        .term(r.getTerm()).reject(!r.getVoteGranted());
            }
            case HEARTBEAT_REQ -> {
                HeartbeatReq r = pm.getHeartbeatReq();
                b = Message.builder(MessageType.HEARTBEAT).term(r.getTerm()).commit(r.getCommit()).index(r.getRound())
                        .readRequestId(r.getReadRequestId());
            }
            case HEARTBEAT_RESP -> {
                HeartbeatResp r = pm.getHeartbeatResp();
                b = Message.builder(MessageType.HEARTBEAT_RESPONSE).term(r.getTerm()).index(r.getRound())
                        .readRequestId(r.getReadRequestId());
            }
            case READ_INDEX_REQ -> b = Message.builder(MessageType.READ_INDEX).term(pm.getReadIndexReq().getTerm())
                    .readRequestId(pm.getReadIndexReq().getRequestId());
            case READ_INDEX_RESP -> {
                ReadIndexResp r = pm.getReadIndexResp();
                b = Message.builder(MessageType.READ_INDEX_RESPONSE).term(r.getTerm()).readRequestId(r.getRequestId())
                        .index(r.getIndex());
            }
            case TRANSFER_LEADER_REQ -> b = Message.builder(MessageType.TRANSFER_LEADER)
                    .term(pm.getTransferLeaderReq().getTerm()).index(pm.getTransferLeaderReq().getTarget());
            case TIMEOUT_NOW -> b = Message.builder(MessageType.TIMEOUT_NOW).term(pm.getTimeoutNow().getTerm());
            case QUIESCE -> {
                Quiesce q = pm.getQuiesce();
                b = Message.builder(MessageType.QUIESCE).term(q.getTerm()).index(q.getLastIndex())
                        .logTerm(q.getLastTerm()).commit(q.getCommit());
            }
            case PAYLOAD_NOT_SET -> throw new IllegalArgumentException(
                    "raft message " + pm.getFrom() + "->" + pm.getTo() + " of group " + pm.getGroupId() + " is empty");
            default -> throw new IllegalArgumentException("unknown raft message payload " + pm.getPayloadCase());
        }
        return b.from(pm.getFrom()).to(pm.getTo()).build();
    }

    public static List<io.shardkv.raft.proto.Entry> encodeEntries(List<Entry> entries) {
        List<io.shardkv.raft.proto.Entry> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            out.add(io.shardkv.raft.proto.Entry.newBuilder().setTerm(e.term()).setIndex(e.index())
                    .setTypeValue(e.type().ordinal())
                    // The core never mutates entry data, so the wire message may share it.
                    .setData(UnsafeByteOperations.unsafeWrap(e.data())).build());
        }
        return out;
    }

    /** Decodes entries that must follow {@code prevIndex} contiguously. */
    public static List<Entry> decodeEntries(List<io.shardkv.raft.proto.Entry> entries, long prevIndex) {
        List<Entry> out = new ArrayList<>(entries.size());
        long expected = prevIndex + 1;
        for (io.shardkv.raft.proto.Entry e : entries) {
            if (e.getIndex() != expected) {
                throw new IllegalArgumentException("entry index " + e.getIndex() + " where " + expected + " was expected");
            }
            int type = e.getTypeValue();
            if (type < 0 || type >= ENTRY_TYPES.length) {
                throw new IllegalArgumentException("unknown entry type " + type + " at index " + e.getIndex());
            }
            out.add(new Entry(e.getTerm(), e.getIndex(), ENTRY_TYPES[type], e.getData().toByteArray()));
            expected++;
        }
        return out;
    }

    public static io.shardkv.raft.proto.ConfState encodeConfState(ConfState cs) {
        return io.shardkv.raft.proto.ConfState.newBuilder().addAllVoters(cs.voters())
                .addAllVotersOutgoing(cs.votersOutgoing()).addAllLearners(cs.learners()).setAutoLeave(cs.autoLeave())
                .build();
    }

    public static ConfState decodeConfState(io.shardkv.raft.proto.ConfState cs) {
        return new ConfState(new java.util.HashSet<>(cs.getVotersList()),
                new java.util.HashSet<>(cs.getVotersOutgoingList()), new java.util.HashSet<>(cs.getLearnersList()),
                cs.getAutoLeave());
    }

    public static io.shardkv.raft.proto.SnapshotMetadata encodeSnapshotMetadata(SnapshotMetadata md) {
        return io.shardkv.raft.proto.SnapshotMetadata.newBuilder().setIndex(md.index()).setTerm(md.term())
                .setConfState(encodeConfState(md.confState())).build();
    }

    public static SnapshotMetadata decodeSnapshotMetadata(io.shardkv.raft.proto.SnapshotMetadata md) {
        return new SnapshotMetadata(md.getIndex(), md.getTerm(), decodeConfState(md.getConfState()));
    }

}

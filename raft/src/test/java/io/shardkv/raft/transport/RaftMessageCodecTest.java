package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.RaftMessage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RaftMessageCodecTest {

    /** A message of each type with every field that type uses set to a distinct value. */
    private static Message sample(MessageType type) {
        Message.Builder b = Message.builder(type).from(3).to(7).term(42);
        return switch (type) {
            case APPEND -> b.index(10).logTerm(41).commit(9).entries(List.of(
                    Entry.normal(42, 11, new byte[] {1, 2, 3}), Entry.noOp(42, 12),
                    new Entry(42, 13, EntryType.CONF_CHANGE, new byte[] {9}))).build();
            case APPEND_RESPONSE -> b.index(15).reject(true).rejectHint(12).logTerm(40).build();
            case VOTE, PRE_VOTE -> b.index(100).logTerm(41).transfer(true).build();
            case VOTE_RESPONSE, PRE_VOTE_RESPONSE -> b.reject(true).build();
            case HEARTBEAT -> b.commit(77).index(5000).readRequestId(88).build();
            case HEARTBEAT_RESPONSE -> b.index(5000).readRequestId(88).build();
            case READ_INDEX -> b.readRequestId(123456789L).build();
            case READ_INDEX_RESPONSE -> b.readRequestId(123456789L).index(99).build();
            case TRANSFER_LEADER -> b.index(5).build();
            case TIMEOUT_NOW -> b.build();
            case QUIESCE -> b.index(200).logTerm(42).commit(200).build();
            case SNAPSHOT -> b.snapshot(new Snapshot(new SnapshotMetadata(5, 2, ConfState.ofVoters(1L)), new byte[0]))
                    .build();
        };
    }

    @ParameterizedTest
    @EnumSource(value = MessageType.class, names = "SNAPSHOT", mode = EnumSource.Mode.EXCLUDE)
    void everyMessageTypeSurvivesTheWire(MessageType type) throws Exception {
        Message original = sample(type);
        RaftMessage wire = RaftMessageCodec.encode(17, original);
        RaftMessage parsed = RaftMessage.parseFrom(wire.toByteArray());

        assertThat(parsed.getGroupId()).isEqualTo(17);
        assertThat(RaftMessageCodec.decode(parsed)).isEqualTo(original);
    }

    @Test
    void grantedResponsesRoundTripToo() {
        Message vote = Message.builder(MessageType.VOTE_RESPONSE).from(1).to(2).term(3).build();
        Message append = Message.builder(MessageType.APPEND_RESPONSE).from(1).to(2).term(3).index(4).build();
        for (Message granted : List.of(vote, append)) {
            assertThat(RaftMessageCodec.decode(RaftMessageCodec.encode(1, granted))).isEqualTo(granted);
        }
    }

    @Test
    void snapshotsAreNotMessagesOnTheWire() {
        assertThatThrownBy(() -> RaftMessageCodec.encode(1, sample(MessageType.SNAPSHOT)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("snapshot stream");
    }

    @Test
    void emptyPayloadIsRejectedClearly() {
        RaftMessage empty = RaftMessage.newBuilder().setGroupId(9).setFrom(1).setTo(2).build();
        assertThatThrownBy(() -> RaftMessageCodec.decode(empty))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group 9 is empty");
    }

    @Test
    void missingEndpointsAreRejected() {
        RaftMessage noFrom = RaftMessageCodec.encode(9, sample(MessageType.TIMEOUT_NOW)).toBuilder().setFrom(0).build();
        assertThatThrownBy(() -> RaftMessageCodec.decode(noFrom)).hasMessageContaining("lacks from/to");
    }

    @Test
    void entriesWithGapsOrUnknownTypesAreRejected() {
        RaftMessage append = RaftMessageCodec.encode(1, sample(MessageType.APPEND));
        RaftMessage gap = append.toBuilder().setAppendEntriesReq(append.getAppendEntriesReq().toBuilder()
                .setEntries(1, append.getAppendEntriesReq().getEntries(1).toBuilder().setIndex(30))).build();
        assertThatThrownBy(() -> RaftMessageCodec.decode(gap)).hasMessageContaining("entry index 30 where 12");

        RaftMessage badType = append.toBuilder().setAppendEntriesReq(append.getAppendEntriesReq().toBuilder()
                .setEntries(0, append.getAppendEntriesReq().getEntries(0).toBuilder().setTypeValue(17))).build();
        assertThatThrownBy(() -> RaftMessageCodec.decode(badType)).hasMessageContaining("unknown entry type 17");
    }

    @Test
    void snapshotMetadataKeepsJointMembership() {
        ConfState joint = new ConfState(Set.of(1L, 2L, 4L), Set.of(1L, 2L, 3L), Set.of(5L), true);
        SnapshotMetadata md = new SnapshotMetadata(1000, 7, joint);
        assertThat(RaftMessageCodec.decodeSnapshotMetadata(RaftMessageCodec.encodeSnapshotMetadata(md))).isEqualTo(md);
    }
}

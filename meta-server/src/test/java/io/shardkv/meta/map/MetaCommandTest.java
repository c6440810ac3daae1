package io.shardkv.meta.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeRequest;
import io.shardkv.meta.proto.MetaLogCommand;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.Task;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Meta log commands round-trip, and entries of the format before them still decode to the same commands. */
class MetaCommandTest {
    private static final List<MetaCommand> EVERY_KIND = List.of(
            MetaCommand.registerServer(4, "h:9104", "h:9204"),
            MetaCommand.setServerState(4, ServerState.SERVER_DOWN),
            MetaCommand.bootstrap(List.of(List.of(1L, 2L, 3L), List.of(2L, 3L, 4L))),
            MetaCommand.addGroup(List.of(1L, 2L, 3L), 7),
            MetaCommand.removeGroup(2, 8),
            MetaCommand.addMember(2, 4, 9),
            MetaCommand.removeMember(2, 1, 10),
            MetaCommand.transferLeader(2, 3, 11),
            MetaCommand.taskProgress(5, "learner-added", "server 4 is 120 entries behind", "REFUSED@4:FAILED_PRECONDITION"),
            MetaCommand.taskComplete(5),
            MetaCommand.taskFail(6, "server 9 left the map"),
            MetaCommand.moveSlots(List.of(0, 1, 512), 3, 12),
            MetaCommand.moveCommit(7),
            MetaCommand.moveAbort(7, "cancelled by an operator"));

    @Test
    void everyKindRoundTrips() {
        assertThat(EVERY_KIND).extracting(MetaCommand::type).doesNotHaveDuplicates()
                .hasSize(MetaLogCommand.CommandCase.values().length - 1);
        for (MetaCommand c : EVERY_KIND) {
            byte[] encoded = c.encode();
            assertThat(encoded[0]).isEqualTo(MetaCommand.FORMAT);
            assertThat(MetaCommand.decode(encoded)).isEqualTo(c);
        }
    }

    @Test
    void entriesOfTheEarlierFormatDecodeToTheSameCommands() {
        assertThat(MetaCommand.decode(legacy(1, ServerInfo.newBuilder().setId(4).setAddress("h:9104")
                .setRaftAddress("h:9204").build().toByteArray()))).isEqualTo(EVERY_KIND.get(0));
        assertThat(MetaCommand.decode(legacy(2, ServerInfo.newBuilder().setId(4).setState(ServerState.SERVER_DOWN)
                .build().toByteArray()))).isEqualTo(EVERY_KIND.get(1));
        ClusterMap layout = ClusterMap.newBuilder()
                .addGroups(group(1, 2, 3)).addGroups(group(2, 3, 4)).build();
        assertThat(MetaCommand.decode(legacy(3, layout.toByteArray()))).isEqualTo(EVERY_KIND.get(2));
        assertThat(MetaCommand.decode(legacy(4, ClusterShardgroupChangeRequest.newBuilder()
                .addAllServerIds(List.of(1L, 2L, 3L)).setConfigVersion(7).build().toByteArray())))
                .isEqualTo(EVERY_KIND.get(3));
        assertThat(MetaCommand.decode(legacy(5, ClusterShardgroupChangeRequest.newBuilder().setGroupId(2)
                .setConfigVersion(8).build().toByteArray()))).isEqualTo(EVERY_KIND.get(4));
        assertThat(MetaCommand.decode(legacy(6, member(2, 4, 9)))).isEqualTo(EVERY_KIND.get(5));
        assertThat(MetaCommand.decode(legacy(7, member(2, 1, 10)))).isEqualTo(EVERY_KIND.get(6));
        assertThat(MetaCommand.decode(legacy(11, member(2, 3, 11)))).isEqualTo(EVERY_KIND.get(7));
        assertThat(MetaCommand.decode(legacy(8, Task.newBuilder().setId(5).setStep("learner-added")
                .setLastError("server 4 is 120 entries behind").build().toByteArray())))
                .isEqualTo(MetaCommand.taskProgress(5, "learner-added", "server 4 is 120 entries behind", ""));
        assertThat(MetaCommand.decode(legacy(9, Task.newBuilder().setId(5).build().toByteArray())))
                .isEqualTo(EVERY_KIND.get(9));
        assertThat(MetaCommand.decode(legacy(10, Task.newBuilder().setId(6).setLastError("server 9 left the map")
                .build().toByteArray()))).isEqualTo(EVERY_KIND.get(10));
    }

    @Test
    void bytesNoCommandEncodesToAreRefused() {
        assertThatThrownBy(() -> MetaCommand.decode(new byte[0])).hasMessageContaining("empty");
        assertThatThrownBy(() -> MetaCommand.decode(new byte[] {42})).hasMessageContaining("unknown meta command type 42");
        assertThatThrownBy(() -> MetaCommand.decode(new byte[] {MetaCommand.FORMAT}))
                .hasMessageContaining("must say what it does");
        assertThatThrownBy(() -> MetaCommand.decode(new byte[] {MetaCommand.FORMAT, (byte) 0xFF, 1}))
                .hasMessageContaining("malformed meta command");
    }

    private static byte[] legacy(int type, byte[] body) {
        byte[] out = new byte[body.length + 1];
        out[0] = (byte) type;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    private static ShardGroupInfo group(long... servers) {
        ShardGroupInfo.Builder g = ShardGroupInfo.newBuilder();
        for (long s : servers) {
            g.addReplicasBuilder().setServerId(s);
        }
        return g.build();
    }

    private static byte[] member(long group, long server, long version) {
        return ShardgroupMembersChangeRequest.newBuilder().setGroupId(group).setServerId(server)
                .setConfigVersion(version).build().toByteArray();
    }
}

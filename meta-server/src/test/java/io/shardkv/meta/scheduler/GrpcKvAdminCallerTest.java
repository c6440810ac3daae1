package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.meta.proto.ServerInfo;
import org.junit.jupiter.api.Test;

/** KvAdmin calls over real gRPC to scripted kv-servers: a server's new address gets a new channel. */
class GrpcKvAdminCallerTest {
    private final ScriptedKvCluster kv = new ScriptedKvCluster();

    @Test
    void callsFollowAServerToItsNewAddressAndAGoneServerFailsCleanly() {
        ScriptedKvAdminServer first = new ScriptedKvAdminServer(1, kv);
        ScriptedKvAdminServer second = new ScriptedKvAdminServer(2, kv);
        try (GrpcKvAdminCaller caller = new GrpcKvAdminCaller(2_000)) {
            GroupStatusRequest status = GroupStatusRequest.newBuilder().setGroupId(1).build();
            caller.groupStatus(ServerInfo.newBuilder().setId(7).setAddress(first.address()).build(), status);
            // Server 7 re-registered at another address: the scripted server there answers as 2.
            caller.groupStatus(ServerInfo.newBuilder().setId(7).setAddress(second.address()).build(), status);
            synchronized (kv) {
                assertThat(kv.calls).containsExactly("GroupStatus@1", "GroupStatus@2");
            }
            String gone = first.address();
            first.close();
            assertThatThrownBy(() -> caller.groupStatus(ServerInfo.newBuilder().setId(8).setAddress(gone).build(),
                    status)).isInstanceOf(AdminCallException.class).hasMessageContaining("server 8")
                    .hasMessageContaining(gone);
            assertThatThrownBy(() -> caller.groupStatus(ServerInfo.newBuilder().setId(9).build(), status))
                    .isInstanceOf(AdminCallException.class).hasMessageContaining("no address");
        } finally {
            first.close();
            second.close();
        }
    }
}

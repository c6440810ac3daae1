package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.proto.ServerInfo;

/**
 * Calls KvAdmin on one kv-server. The scheduler's step logic depends only on this, so tests
 * drive it deterministically; production uses {@link GrpcKvAdminCaller}. A server that does
 * not answer (unreachable, deadline) throws {@link AdminCallException}; an answer, even an
 * error, is returned.
 */
public interface KvAdminCaller {
    AdminResponse createReplica(ServerInfo server, CreateReplicaRequest request);

    AdminResponse changeMembership(ServerInfo server, ChangeMembershipRequest request);

    AdminResponse destroyReplica(ServerInfo server, DestroyReplicaRequest request);

    AdminResponse assignSlots(ServerInfo server, AssignSlotsRequest request);

    AdminResponse transferLeader(ServerInfo server, TransferLeaderRequest request);

    GroupStatusResponse groupStatus(ServerInfo server, GroupStatusRequest request);

    /** A slot-migration step on a group's leader (DESIGN 5). */
    MigrationResponse migration(ServerInfo server, MigrationRequest request);
}

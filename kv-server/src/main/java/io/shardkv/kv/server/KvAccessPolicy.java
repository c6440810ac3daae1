package io.shardkv.kv.server;

import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.security.AccessPolicy;
import io.shardkv.security.Role;

/**
 * Who may call what on a kv-server's client port. Data calls: users (client or admin).
 * KvAdmin (replicas, membership, slots, status): admins and the meta-server, which runs the
 * cluster's tasks. Pull: also other kv-servers, the destinations of slot moves.
 */
final class KvAccessPolicy {
    static final AccessPolicy POLICY = AccessPolicy.builder()
            .allow(KvServiceGrpc.getServiceDescriptor(), Role.CLIENT, Role.ADMIN)
            .allow(KvAdminGrpc.getServiceDescriptor(), Role.ADMIN, Role.META_SERVER)
            .allow(KvAdminGrpc.getPullMethod(), Role.ADMIN, Role.META_SERVER, Role.KV_SERVER)
            .build();

    private KvAccessPolicy() {
    }
}

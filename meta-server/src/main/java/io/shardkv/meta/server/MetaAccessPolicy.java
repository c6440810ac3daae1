package io.shardkv.meta.server;

import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.security.AccessPolicy;
import io.shardkv.security.Role;

/**
 * Who may call what on a meta-server's client port. The map: anyone of the cluster (clients
 * route by it, servers follow it). Heartbeats: kv-servers, each for itself (checked by the
 * service). Everything else reads or changes the cluster's layout: admins.
 */
final class MetaAccessPolicy {
    static final AccessPolicy POLICY = AccessPolicy.builder()
            .allow(MetaServiceGrpc.getServiceDescriptor(), Role.ADMIN)
            .allow(MetaServiceGrpc.getGetClusterMapMethod(), Role.CLIENT, Role.ADMIN, Role.KV_SERVER, Role.META_SERVER)
            .allow(MetaServiceGrpc.getHeartbeatMethod(), Role.KV_SERVER)
            .build();

    private MetaAccessPolicy() {
    }
}

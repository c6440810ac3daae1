package io.shardkv.meta.scheduler;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardkv.security.ClientSecurity;
import io.shardkv.security.Identity;
import io.shardkv.security.PeerRule;
import io.shardkv.security.Role;
import io.shardkv.common.Limits;
import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.proto.ServerInfo;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * KvAdmin over gRPC: one cached channel per server, replaced (and the old one shut down) when
 * the server registers a new address; a short deadline per call.
 */
public final class GrpcKvAdminCaller implements KvAdminCaller, AutoCloseable {
    /** Largest message either side accepts: the same bound as every other gRPC port. */
    public static final int MAX_MESSAGE_BYTES = Limits.MAX_MESSAGE_BYTES;

    private record Cached(String address, ManagedChannel channel) {
    }

    private final long deadlineMillis;
    private final ConcurrentHashMap<Long, Cached> channels = new ConcurrentHashMap<>();

    private final ClientSecurity security;

    /** Calls without TLS, for tests against plaintext kv-servers. */
    public GrpcKvAdminCaller(long deadlineMillis) {
        this(deadlineMillis, ClientSecurity.insecure());
    }

    /** @param security this meta-server's certificate; each callee must show the certificate of the server called */
    public GrpcKvAdminCaller(long deadlineMillis, ClientSecurity security) {
        this.deadlineMillis = deadlineMillis;
        this.security = security;
    }

    private ManagedChannel channel(ServerInfo server) {
        if (server.getAddress().isEmpty()) {
            throw new AdminCallException("server " + server.getId() + " has no address", null);
        }
        Cached c = channels.compute(server.getId(), (id, old) -> {
            if (old != null && old.address().equals(server.getAddress())) {
                return old;
            }
            if (old != null) {
                old.channel().shutdown();
            }
            return new Cached(server.getAddress(), NettyChannelBuilder.forTarget(server.getAddress(),
                            security.channelCredentials(PeerRule.exactly(Identity.server(Role.KV_SERVER, id))))
                    .maxInboundMessageSize(MAX_MESSAGE_BYTES).build());
        });
        return c.channel();
    }

    private <T> T call(ServerInfo server, String what, Function<KvAdminGrpc.KvAdminBlockingStub, T> rpc) {
        ManagedChannel ch = channel(server);
        try {
            return rpc.apply(KvAdminGrpc.newBlockingStub(ch).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
                // A restarted kv-server must not wait out gRPC's reconnect backoff (up to minutes):
                // the scheduler already paces its retries.
                ch.resetConnectBackoff();
            }
            throw new AdminCallException(what + " on server " + server.getId() + " (" + server.getAddress()
                    + ") failed: " + e.getStatus(), e);
        }
    }

    @Override
    public AdminResponse createReplica(ServerInfo server, CreateReplicaRequest request) {
        return call(server, "CreateReplica", s -> s.createReplica(request));
    }

    @Override
    public AdminResponse changeMembership(ServerInfo server, ChangeMembershipRequest request) {
        return call(server, "ChangeMembership", s -> s.changeMembership(request));
    }

    @Override
    public AdminResponse destroyReplica(ServerInfo server, DestroyReplicaRequest request) {
        return call(server, "DestroyReplica", s -> s.destroyReplica(request));
    }

    @Override
    public AdminResponse assignSlots(ServerInfo server, AssignSlotsRequest request) {
        return call(server, "AssignSlots", s -> s.assignSlots(request));
    }

    @Override
    public AdminResponse transferLeader(ServerInfo server, TransferLeaderRequest request) {
        return call(server, "TransferLeader", s -> s.transferLeader(request));
    }

    @Override
    public MigrationResponse migration(ServerInfo server, MigrationRequest request) {
        return call(server, "Migration " + request.getAction(), s -> s.migration(request));
    }

    @Override
    public GroupStatusResponse groupStatus(ServerInfo server, GroupStatusRequest request) {
        return call(server, "GroupStatus", s -> s.groupStatus(request));
    }

    @Override
    public void close() {
        channels.values().forEach(c -> c.channel().shutdownNow());
        channels.clear();
    }
}

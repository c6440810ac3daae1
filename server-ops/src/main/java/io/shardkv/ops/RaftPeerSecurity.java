package io.shardkv.ops;

import io.grpc.ChannelCredentials;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.shardkv.raft.proto.RaftTransportGrpc;
import io.shardkv.raft.transport.TransportSecurity;
import io.shardkv.security.AccessPolicy;
import io.shardkv.security.Caller;
import io.shardkv.security.Identity;
import io.shardkv.security.PeerRule;
import io.shardkv.security.Role;
import io.shardkv.security.ServerSecurity;
import java.util.OptionalLong;

/**
 * The Raft transport's questions answered with certificates: only servers of this kind (kv
 * or meta) may call the Raft port, a dialed peer must show the certificate of the id it was
 * dialed as, and the id a caller's certificate names is the only one its frames may claim.
 */
public final class RaftPeerSecurity implements TransportSecurity {
    private final ServerSecurity security;
    private final Role kind;
    private final AccessPolicy policy;

    private RaftPeerSecurity(ServerSecurity security, Role kind) {
        this.security = security;
        this.kind = kind;
        this.policy = AccessPolicy.builder().allow(RaftTransportGrpc.getServiceDescriptor(), kind).build();
    }

    /** @param kind the role of the servers in this Raft transport's groups */
    public static TransportSecurity of(ServerSecurity security, Role kind) {
        if (!kind.isServer()) {
            throw new IllegalArgumentException(kind + " is not a server role");
        }
        return security.isTls() ? new RaftPeerSecurity(security, kind) : TransportSecurity.INSECURE;
    }

    @Override
    public ServerCredentials serverCredentials() {
        return security.serverCredentials();
    }

    @Override
    public ChannelCredentials channelCredentials(long peerServer) {
        return security.channelCredentials(PeerRule.exactly(Identity.server(kind, peerServer)));
    }

    @Override
    public <T extends ServerBuilder<T>> T enforce(T builder) {
        return security.enforce(builder, policy);
    }

    @Override
    public OptionalLong provenPeer() {
        // The policy lets only this kind in, so a caller here always has a server id.
        return Caller.current().filter(id -> id.role() == kind)
                .map(id -> OptionalLong.of(id.serverId())).orElseGet(() -> OptionalLong.of(-1));
    }
}

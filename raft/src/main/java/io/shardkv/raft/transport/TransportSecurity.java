package io.shardkv.raft.transport;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import java.util.OptionalLong;

/**
 * How the transport proves who it talks to. With TLS, both ends show certificates that name a
 * server id: a dialed peer must show the one it was dialed as, and a caller's id is what
 * {@link #provenPeer()} returns, which must match the id its frames and snapshots claim. The
 * library only asks these questions; the server wires the answers (certificates, roles).
 */
public interface TransportSecurity {
    /** Plaintext and no proof: an id is whatever a peer says. For tests and explicit --insecure runs. */
    TransportSecurity INSECURE = new TransportSecurity() {
        @Override
        public ServerCredentials serverCredentials() {
            return InsecureServerCredentials.create();
        }

        @Override
        public ChannelCredentials channelCredentials(long peerServer) {
            return InsecureChannelCredentials.create();
        }

        @Override
        public <T extends ServerBuilder<T>> T enforce(T builder) {
            return builder;
        }

        @Override
        public OptionalLong provenPeer() {
            return OptionalLong.empty();
        }
    };

    /** What the transport's port listens with. */
    ServerCredentials serverCredentials();

    /** Credentials to dial {@code peerServer}: they refuse an answer from any other server. */
    ChannelCredentials channelCredentials(long peerServer);

    /** Adds the checks that refuse callers which are not servers of this cluster's kind. */
    <T extends ServerBuilder<T>> T enforce(T builder);

    /**
     * The server id the current call's caller proved (call it from a service method); empty when
     * nothing is proven, and then the ids in frames are taken as claimed.
     */
    OptionalLong provenPeer();
}

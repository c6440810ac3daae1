package io.shardkv.raft.transport;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel (one HTTP/2 connection) per peer, created on first use from the peer
 * directory and replaced when the peer's address changes. The dialed message stream and
 * outgoing snapshots to that peer share it.
 */
final class PeerChannels implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PeerChannels.class.getName());

    private record Open(PeerAddress address, ManagedChannel channel) {
    }

    private final PeerDirectory directory;
    private final GrpcTransportConfig config;
    private final TransportSecurity security;
    private final Executor executor;
    // Guarded by this.
    private final Map<Long, Open> channels = new HashMap<>();
    private boolean closed;

    PeerChannels(PeerDirectory directory, GrpcTransportConfig config, TransportSecurity security, Executor executor) {
        this.directory = directory;
        this.config = config;
        this.security = security;
        this.executor = executor;
    }

    /** The channel to {@code serverId} at its current address, or empty if it has none. */
    synchronized Optional<ManagedChannel> channel(long serverId) {
        if (closed) {
            return Optional.empty();
        }
        Optional<PeerAddress> address = directory.lookup(serverId);
        Open open = channels.get(serverId);
        if (open != null && address.isPresent() && open.address().equals(address.get())) {
            return Optional.of(open.channel());
        }
        if (open != null) {
            channels.remove(serverId);
            open.channel().shutdownNow();
        }
        if (address.isEmpty()) {
            return Optional.empty();
        }
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(address.get().host(), address.get().port(),
                        security.channelCredentials(serverId))
                .executor(executor)
                .maxInboundMessageSize(config.maxFrameBytes())
                .keepAliveTime(config.keepAliveMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(config.keepAliveTimeoutMillis(), TimeUnit.MILLISECONDS)
                // A follower's stream may be silent for long stretches when its groups are
                // quiesced; pings still find out that the peer died.
                .keepAliveWithoutCalls(true)
                .build();
        channels.put(serverId, new Open(address.get(), channel));
        return Optional.of(channel);
    }

    /** Closes the channel to a peer that left the directory or moved. */
    synchronized void forget(long serverId) {
        Open open = channels.remove(serverId);
        if (open != null) {
            open.channel().shutdownNow();
        }
    }

    @Override
    public void close() {
        Map<Long, Open> toClose;
        synchronized (this) {
            closed = true;
            toClose = new HashMap<>(channels);
            channels.clear();
        }
        for (Open open : toClose.values()) {
            open.channel().shutdownNow();
        }
        for (Map.Entry<Long, Open> e : toClose.entrySet()) {
            try {
                if (!e.getValue().channel().awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.log(System.Logger.Level.WARNING, "channel to server " + e.getKey() + " did not terminate");
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

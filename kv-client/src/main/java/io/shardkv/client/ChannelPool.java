package io.shardkv.client;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.shardkv.common.Limits;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per server address, opened on first use and shut down on close. */
final class ChannelPool implements AutoCloseable {
    private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final ChannelCredentials credentials;
    private volatile boolean closed;

    /** @param credentials TLS that checks the servers' certificates, or plaintext */
    ChannelPool(ChannelCredentials credentials) {
        this.credentials = credentials;
    }

    ManagedChannel get(String address) {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        return channels.computeIfAbsent(address, a -> open(a, credentials));
    }

    /**
     * After a failed call: gRPC backs off reconnecting for up to two minutes, which would hide
     * a restarted server from us; the client has its own backoff, so reconnect on the next call.
     */
    void resetConnectBackoff(String address) {
        ManagedChannel channel = channels.get(address);
        if (channel != null) {
            channel.resetConnectBackoff();
        }
    }

    static ManagedChannel open(String address, ChannelCredentials credentials) {
        return Grpc.newChannelBuilder(address, credentials)
                .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES)
                .build();
    }

    @Override
    public void close() {
        closed = true;
        for (ManagedChannel channel : channels.values()) {
            channel.shutdown();
        }
        for (ManagedChannel channel : channels.values()) {
            try {
                if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        channels.clear();
    }
}

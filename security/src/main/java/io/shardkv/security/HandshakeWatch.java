package io.shardkv.security;

import io.grpc.Attributes;
import io.grpc.ServerTransportFilter;

/**
 * Counts connections that ended before their TLS handshake completed: someone speaking
 * plaintext to a TLS port, a client without a certificate, a certificate the trust manager
 * refused. gRPC marks a connection ready only after the handshake, so a connection that
 * terminates without that mark never completed one.
 */
final class HandshakeWatch extends ServerTransportFilter {
    private static final Attributes.Key<Boolean> READY = Attributes.Key.create("shardkv-tls-ready");

    private final SecurityMetrics metrics;

    HandshakeWatch(SecurityMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public Attributes transportReady(Attributes attributes) {
        return attributes.toBuilder().set(READY, Boolean.TRUE).build();
    }

    @Override
    public void transportTerminated(Attributes attributes) {
        if (attributes == null || attributes.get(READY) == null) {
            metrics.handshakeFailed();
        }
    }
}

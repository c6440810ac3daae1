package io.shardkv.raft.transport;

import com.google.common.net.HostAndPort;
import io.shardkv.common.HostPorts;

/**
 * Where a server's Raft transport listens.
 *
 * @param host a host name or IP address
 * @param port a TCP port in [1, 65535]
 */
public record PeerAddress(String host, int port) {

    public PeerAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("peer host is required");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("peer port " + port + " is outside [1, 65535]");
        }
    }

    /** Parses {@code host:port}; an IPv6 host is written in brackets, {@code [::1]:7000}. */
    public static PeerAddress parse(String hostAndPort) {
        HostAndPort parsed = HostPorts.parse(hostAndPort, false);
        return new PeerAddress(parsed.getHost(), parsed.getPort());
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

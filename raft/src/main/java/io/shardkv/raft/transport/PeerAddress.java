package io.shardkv.raft.transport;

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
        int colon = hostAndPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostAndPort.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + hostAndPort + "'");
        }
        String host = hostAndPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new PeerAddress(host, Integer.parseInt(hostAndPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + hostAndPort + "'", e);
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

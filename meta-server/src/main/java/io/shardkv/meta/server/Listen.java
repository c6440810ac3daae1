package io.shardkv.meta.server;

/**
 * A listen address that may use port 0 ("any free port"), unlike a peer address.
 *
 * @param host the host or IP to bind
 * @param port the port, 0 for any free one
 */
public record Listen(String host, int port) {
    public Listen {
        if (host == null || host.isBlank() || port < 0 || port > 65_535) {
            throw new IllegalArgumentException("bad listen address " + host + ":" + port);
        }
    }

    /** Parses {@code host:port}. */
    public static Listen parse(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostAndPort.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + hostAndPort + "'");
        }
        try {
            return new Listen(hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + hostAndPort + "'", e);
        }
    }
}

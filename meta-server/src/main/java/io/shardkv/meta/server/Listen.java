package io.shardkv.meta.server;

import com.google.common.net.HostAndPort;
import io.shardkv.common.HostPorts;

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
        HostAndPort parsed = HostPorts.parse(hostAndPort, true);
        return new Listen(parsed.getHost(), parsed.getPort());
    }
}

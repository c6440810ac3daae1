package io.shardkv.bench.peers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Refuses to start a server on a port something else already holds, with a message that says which. */
final class Ports {
    private Ports() {
    }

    static void requireFree(int port, String forWhat) {
        try (ServerSocket ignored = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            // Bound, so free; closing it frees it again for the server.
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " (for " + forWhat + ") is in use; pick another --base-port");
        }
    }
}

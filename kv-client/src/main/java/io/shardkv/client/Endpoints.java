package io.shardkv.client;

import com.google.common.net.HostAndPort;
import io.shardkv.common.HostPorts;
import java.util.List;

/** Parses and checks {@code host:port} lists such as the meta-server endpoints. */
public final class Endpoints {
    private Endpoints() {
    }

    /** {@code "h1:p1,h2:p2"} to a list; blanks around commas are ignored. */
    public static List<String> parse(String commaSeparated) {
        return HostPorts.parseList(commaSeparated).stream().map(HostAndPort::toString).toList();
    }

    /** Checks each entry is {@code host:port} with a port in 1..65535. */
    public static List<String> check(List<String> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoints given (expected host:port,host:port,...)");
        }
        for (String endpoint : endpoints) {
            HostPorts.parse(endpoint, false);
        }
        return List.copyOf(endpoints);
    }
}

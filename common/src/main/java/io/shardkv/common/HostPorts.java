package io.shardkv.common;

import com.google.common.net.HostAndPort;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code host:port} as every address in settings, flags and the cluster map is written
 * (an IPv6 host in brackets: {@code [::1]:7000}), with one set of error messages.
 */
public final class HostPorts {
    private HostPorts() {
    }

    /**
     * @param anyPort whether port 0 ("any free port", for listen addresses) is allowed
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static HostAndPort parse(String text, boolean anyPort) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected host:port, got nothing");
        }
        HostAndPort parsed;
        try {
            parsed = HostAndPort.fromString(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'", e);
        }
        if (!parsed.hasPort() || parsed.getHost().isEmpty()) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'");
        }
        int min = anyPort ? 0 : 1;
        if (parsed.getPort() < min) {
            throw new IllegalArgumentException("port " + parsed.getPort() + " in '" + text + "' is outside ["
                    + min + ", 65535]");
        }
        return parsed;
    }

    /** {@code "h1:p1,h2:p2"} (ports 1..65535); blanks around commas are ignored. */
    public static List<HostAndPort> parseList(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            throw new IllegalArgumentException("no endpoints given (expected host:port,host:port,...)");
        }
        List<HostAndPort> result = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            if (!part.isBlank()) {
                result.add(parse(part, false));
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("no endpoints given (expected host:port,host:port,...)");
        }
        return result;
    }
}

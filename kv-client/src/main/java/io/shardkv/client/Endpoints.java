package io.shardkv.client;

import java.util.ArrayList;
import java.util.List;

/** Parses and checks {@code host:port} lists such as the meta-server endpoints. */
public final class Endpoints {
    private Endpoints() {
    }

    /** {@code "h1:p1,h2:p2"} to a list; blanks around commas are ignored. */
    public static List<String> parse(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            throw new IllegalArgumentException("no endpoints given (expected host:port,host:port,...)");
        }
        List<String> result = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            String endpoint = part.trim();
            if (!endpoint.isEmpty()) {
                result.add(endpoint);
            }
        }
        return check(result);
    }

    /** Checks each entry is {@code host:port} with a port in 1..65535. */
    public static List<String> check(List<String> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoints given (expected host:port,host:port,...)");
        }
        for (String endpoint : endpoints) {
            int colon = endpoint.lastIndexOf(':');
            if (colon <= 0 || colon == endpoint.length() - 1) {
                throw new IllegalArgumentException("bad endpoint '" + endpoint + "' (expected host:port)");
            }
            int port;
            try {
                port = Integer.parseInt(endpoint.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in endpoint '" + endpoint + "' (expected host:port)", e);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range in endpoint '" + endpoint + "'");
            }
        }
        return List.copyOf(endpoints);
    }
}

package io.shardkv.ops;

import java.util.Map;

/**
 * What {@code /health} answers: healthy (HTTP 200) or not (HTTP 503), with a few named facts
 * an operator reads when it is not.
 */
public record Health(boolean healthy, Map<String, String> facts) {

    public Health {
        facts = Map.copyOf(facts);
    }

    /** The body: one {@code name: value} line per fact after the status line. */
    public String render() {
        StringBuilder sb = new StringBuilder(healthy ? "ok\n" : "unhealthy\n");
        facts.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
        return sb.toString();
    }
}

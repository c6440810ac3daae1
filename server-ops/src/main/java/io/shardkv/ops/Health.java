package io.shardkv.ops;

import java.util.Map;

/**
 * What the health endpoints answer, with a few named facts an operator reads when something is
 * wrong. Two questions, answered apart, because a probe acts on each differently:
 * <ul>
 *   <li><b>live</b> ({@code /health/live}): the process serves and should be left running. A
 *       liveness probe restarts a server that is not; so it must not depend on other servers, or
 *       an outage of the meta-servers would have every kv-server restarted.</li>
 *   <li><b>ready</b> ({@code /health} and {@code /health/ready}): the server does its job now
 *       (a kv-server reaches the meta-server and no group failed; a meta-server's group has a
 *       leader). Traffic and rollouts wait for it.</li>
 * </ul>
 */
public record Health(boolean live, boolean ready, Map<String, String> facts) {

    public Health {
        facts = Map.copyOf(facts);
    }

    /** The readiness body, as {@code /health} serves it. */
    public String render() {
        return render(ready);
    }

    /** The body: "ok" or "unhealthy" as {@code answer} says, then one {@code name: value} line per fact. */
    public String render(boolean answer) {
        StringBuilder sb = new StringBuilder(answer ? "ok\n" : "unhealthy\n");
        sb.append("live: ").append(live).append('\n').append("ready: ").append(ready).append('\n');
        facts.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
        return sb.toString();
    }
}

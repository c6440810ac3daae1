package io.shardkv.raft.runtime.sim;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The links between simulated servers: per-link FIFO delivery after a seeded latency (a gRPC
 * stream does not reorder), occasional loss, and cuts in one or both directions.
 */
final class SimNetwork {
    private final Random random;
    private final RuntimeProfile.Delays delays;
    private final double lossRate;
    /** Directed links that drop everything: from * 1000 + to. */
    private final Set<Long> cut = new HashSet<>();
    /** When the last frame on a directed link arrives: a later frame never overtakes it. */
    private final Map<Long, Long> lastArrival = new HashMap<>();
    private final Map<Long, SimTransport> transports = new HashMap<>();

    SimNetwork(Random random, RuntimeProfile.Delays delays, double lossRate) {
        this.random = random;
        this.delays = delays;
        this.lossRate = lossRate;
    }

    private static long link(long from, long to) {
        return from * 1000 + to;
    }

    void attach(long serverId, SimTransport transport) {
        transports.put(serverId, transport);
    }

    void detach(long serverId, SimTransport transport) {
        transports.remove(serverId, transport);
    }

    /** The live transport of {@code serverId}, or null while it is down. */
    SimTransport transport(long serverId) {
        return transports.get(serverId);
    }

    void cut(long from, long to) {
        cut.add(link(from, to));
    }

    void healAll() {
        cut.clear();
    }

    boolean isCut(long from, long to) {
        return cut.contains(link(from, to));
    }

    /** Whether a frame sent now on this link gets through (the link is up and the frame not lost). */
    boolean passes(long from, long to) {
        return !isCut(from, to) && (lossRate == 0 || random.nextDouble() >= lossRate);
    }

    /** The delay until a frame sent now on this link arrives, keeping the link's order. */
    long delay(long now, long from, long to) {
        long arrival = Math.max(now + delays.latency(random), lastArrival.getOrDefault(link(from, to), 0L));
        lastArrival.put(link(from, to), arrival);
        return arrival - now;
    }
}

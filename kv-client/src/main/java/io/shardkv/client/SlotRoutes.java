package io.shardkv.client;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where slots went, as WRONG_GROUP answers said (the group that gave a slot away names its new
 * owner and epoch): a request for such a slot goes there at once rather than waiting for a newer
 * map. A route counts only while it is newer than the map's epoch of the slot, so once the map
 * catches up it is the map again. At most one entry per slot. Thread-safe.
 */
final class SlotRoutes {
    record Route(long group, long epoch) {
    }

    private final Map<Integer, Route> routes = new ConcurrentHashMap<>();

    /** Records that {@code slot} belongs to {@code group} at {@code epoch}, unless a newer route is known. */
    void learn(int slot, long group, long epoch) {
        routes.merge(slot, new Route(group, epoch), (old, next) -> next.epoch() > old.epoch() ? next : old);
    }

    /** The route of {@code slot} if it is newer than {@code mapEpoch}. */
    Optional<Route> newerThan(int slot, long mapEpoch) {
        Route r = routes.get(slot);
        return r != null && r.epoch() > mapEpoch ? Optional.of(r) : Optional.empty();
    }
}

package io.shardkv.client;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client's best guess of each group's leader, from the meta-server's hints and from the
 * servers' NOT_LEADER answers. Only a guess: a wrong one costs one redirect.
 */
final class LeaderHints {
    /** A leader by server id, with its client address when the hint carried one. */
    record Hint(long serverId, String address) {
    }

    private final ConcurrentHashMap<Long, Hint> hints = new ConcurrentHashMap<>();

    Optional<Hint> get(long groupId) {
        return Optional.ofNullable(hints.get(groupId));
    }

    void put(long groupId, Hint hint) {
        hints.put(groupId, hint);
    }

    /** Drops the group's hint if it is still {@code hint} (a newer hint stays). */
    void forget(long groupId, Hint hint) {
        hints.remove(groupId, hint);
    }

    void forget(long groupId) {
        hints.remove(groupId);
    }
}

package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.core.Entry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * State machine safety across replicas: the first replica to apply an index of a group fixes
 * what that index holds, and every later apply of it, on any replica and in any life of it,
 * must be the same entry.
 */
final class AppliedEntries {
    private record Applied(long term, byte[] data, long server) {
    }

    private final Map<Long, Map<Long, Applied>> byGroup = new HashMap<>();
    private final SimWorldLog log;

    AppliedEntries(SimWorldLog log) {
        this.log = log;
    }

    void onApply(long server, long groupId, Entry e) {
        Map<Long, Applied> group = byGroup.computeIfAbsent(groupId, g -> new HashMap<>());
        Applied first = group.putIfAbsent(e.index(), new Applied(e.term(), e.data(), server));
        if (first != null && (first.term() != e.term() || !Arrays.equals(first.data(), e.data()))) {
            log.violation("group " + groupId + " index " + e.index() + ": server " + server + " applied term "
                    + e.term() + " but server " + first.server() + " applied term " + first.term()
                    + " there (a committed entry changed)");
        }
    }
}

package io.shardkv.client;

import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.GroupLeader;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The client's copy of the cluster map. Refreshes are single-flight: however many requests
 * find the map stale at once, one GetClusterMap goes out (on the meta executor, since meta
 * calls block) and they all wait for it.
 */
final class ClusterMapCache {
    private final MetaCaller meta;
    private final Executor metaExecutor;
    private final LeaderHints hints;
    private volatile RoutingTable table;
    // Guarded by this: the refresh in progress, if any.
    private CompletableFuture<RoutingTable> inflight;

    ClusterMapCache(MetaCaller meta, Executor metaExecutor, LeaderHints hints) {
        this.meta = meta;
        this.metaExecutor = metaExecutor;
        this.hints = hints;
    }

    /** The group that owns {@code slot} in the cached map; 0 if none does or no map is cached yet. */
    long cachedGroupOfSlot(int slot) {
        RoutingTable current = table;
        return current == null ? 0 : current.groupOfSlot(slot);
    }

    /** The cached map, fetching it first if there is none yet. */
    CompletableFuture<RoutingTable> current(Duration timeout) {
        RoutingTable current = table;
        return current != null ? CompletableFuture.completedFuture(current) : refresh(-1, timeout);
    }

    /**
     * A map newer than {@code staleVersion}: the cached one if it already is, else the result
     * of a fetch (which may still return the same version if the map has not changed).
     */
    synchronized CompletableFuture<RoutingTable> refresh(long staleVersion, Duration timeout) {
        RoutingTable current = table;
        if (current != null && current.version() > staleVersion) {
            return CompletableFuture.completedFuture(current);
        }
        if (inflight != null) {
            return inflight;
        }
        CompletableFuture<RoutingTable> fetch;
        try {
            fetch = CompletableFuture.supplyAsync(() -> fetch(timeout), metaExecutor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the client is closed", e));
        }
        inflight = fetch;
        fetch.whenComplete((result, error) -> clearInflight(fetch));
        return fetch;
    }

    private synchronized void clearInflight(CompletableFuture<RoutingTable> done) {
        if (inflight == done) {
            inflight = null;
        }
    }

    private RoutingTable fetch(Duration timeout) {
        GetClusterMapResponse response = meta.call("GetClusterMap", timeout, true,
                stub -> stub.getClusterMap(GetClusterMapRequest.getDefaultInstance()),
                GetClusterMapResponse::getError);
        RoutingTable fresh = RoutingTable.from(response.getMap());
        for (GroupLeader leader : response.getLeadersList()) {
            if (leader.getLeaderServerId() != 0) {
                hints.put(leader.getGroupId(), new LeaderHints.Hint(leader.getLeaderServerId(), null));
            }
        }
        RoutingTable current = table;
        // Two fetches can overlap across a clearInflight; never go back to an older map.
        if (current == null || fresh.version() >= current.version()) {
            table = fresh;
            return fresh;
        }
        return current;
    }
}

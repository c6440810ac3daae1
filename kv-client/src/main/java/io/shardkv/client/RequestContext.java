package io.shardkv.client;

import io.shardkv.common.Backoff;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every {@link KvRequest} of one client shares. {@code inflight} holds the requests
 * not yet completed, so closing the client can fail them instead of leaving them hanging.
 */
record RequestContext(
        ClusterMapCache maps,
        LeaderHints hints,
        ChannelPool channels,
        ScheduledExecutorService timer,
        Backoff backoff,
        Duration requestDeadline,
        Duration attemptTimeout,
        Set<KvRequest<?>> inflight,
        SlotRoutes slotRoutes) {
}

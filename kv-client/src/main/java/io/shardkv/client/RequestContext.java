package io.shardkv.client;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/** What every {@link KvRequest} of one client shares. */
record RequestContext(
        ClusterMapCache maps,
        LeaderHints hints,
        ChannelPool channels,
        ScheduledExecutorService timer,
        Backoff backoff,
        Duration requestDeadline,
        Duration attemptTimeout) {
}

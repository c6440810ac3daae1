package io.shardkv.kv.metalink;

import io.shardkv.client.MetaCaller;
import io.shardkv.client.MetaException;
import io.shardkv.meta.proto.GetClusterMapRequest;
import io.shardkv.meta.proto.GetClusterMapResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link ClusterView} current: long-polls the meta leader for a map newer than the one
 * held ({@code GetClusterMap} with {@code known_version}), on its own thread.
 */
public final class MapWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MapWatcher.class);
    private static final int WAIT_MILLIS = 5_000;
    private static final long RETRY_MILLIS = 500;

    private final MetaCaller client;
    private final ClusterView view;
    private final Thread thread;
    private volatile boolean running = true;

    public MapWatcher(MetaCaller client, ClusterView view, long serverId) {
        this.client = client;
        this.view = view;
        this.thread = new Thread(this::run, "kv-map-watcher-" + serverId);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        boolean warned = false;
        while (running) {
            long known = view.version();
            try {
                GetClusterMapResponse r = client.firstAnswer("GetClusterMap", Duration.ofMillis(WAIT_MILLIS * 2L),
                        stub -> stub.getClusterMap(GetClusterMapRequest.newBuilder().setKnownVersion(known)
                                .setWaitMillis(WAIT_MILLIS).build()),
                        GetClusterMapResponse::getError);
                if (r.getError().getCode() == MetaErrorCode.OK && r.hasMap()) {
                    if (view.update(r.getMap())) {
                        LOG.info("cluster map version {}: {} servers, {} groups", r.getMap().getConfigVersion(),
                                r.getMap().getServersCount(), r.getMap().getGroupsCount());
                    }
                    warned = false;
                    if (r.getMap().getConfigVersion() <= known) {
                        // The meta-server answered at once without a newer map; do not spin on it.
                        pause(RETRY_MILLIS / 5);
                    }
                    continue;
                }
                LOG.debug("map watch: {}", r.getError());
            } catch (MetaException e) {
                if (!running) {
                    break; // close() cancelled the call in flight.
                }
                if (!warned) {
                    LOG.warn("cannot watch the cluster map: {}", e.getMessage());
                    warned = true;
                }
            } catch (RuntimeException e) {
                LOG.warn("map watch failed", e);
            }
            pause(RETRY_MILLIS);
        }
    }

    /** Waits before the next attempt; close() interrupts it. */
    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}

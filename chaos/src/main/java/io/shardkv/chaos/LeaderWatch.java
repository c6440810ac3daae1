package io.shardkv.chaos;

import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.ServerStatus;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Logs each change of a group's leader and of the meta leader, as the meta-server reports them
 * (kv-servers report their roles once a second), so that the run's log shows how long a group
 * stayed without a leader after a fault. Only an observer: it changes nothing.
 */
final class LeaderWatch implements AutoCloseable {
    private static final long INTERVAL_NANOS = 500_000_000L;
    /** Bounds the loop besides close(): no run lasts a day. */
    private static final long MAX_SAMPLES = 24 * 3600 * 2;

    private final Cluster cluster;
    private final EventLog log;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private final Map<Long, String> leaders = new HashMap<>();
    private long metaLeader = -1;
    /** KV_CHAOS_TRACE=1: log every sample, each replica's role, term and leader as reported. */
    private final boolean trace = "1".equals(System.getenv("KV_CHAOS_TRACE"));

    LeaderWatch(Cluster cluster, EventLog log) {
        this.cluster = cluster;
        this.log = log;
        this.thread = new Thread(this::run, "kv-chaos-leader-watch");
        this.thread.setDaemon(true);
    }

    void start() {
        Optional<ClusterStatusResponse> status = cluster.status();
        status.ifPresent(s -> {
            leaders.putAll(Cluster.reportedLeaders(s));
            metaLeader = s.getMetaLeaderId();
        });
        thread.start();
    }

    private void run() {
        for (long n = 0; n < MAX_SAMPLES && !stop.get(); n++) {
            // Sampling the meta-server's view on a fixed period.
            LockSupport.parkNanos(INTERVAL_NANOS);
            Optional<ClusterStatusResponse> status = cluster.status();
            if (status.isEmpty() || stop.get()) {
                continue;
            }
            if (status.get().getMetaLeaderId() != metaLeader) {
                metaLeader = status.get().getMetaLeaderId();
                log.event("  (meta leader is now meta-" + metaLeader + ")");
            }
            if (trace) {
                log.event("  (status: " + describe(status.get()) + ")");
            }
            Map<Long, String> now = Cluster.reportedLeaders(status.get());
            status.get().getMap().getGroupsList().forEach(g -> {
                String before = leaders.getOrDefault(g.getId(), "none");
                String after = now.getOrDefault(g.getId(), "none");
                if (!before.equals(after)) {
                    log.event("  (group " + g.getId() + " leader: " + before + " -> " + after + ")");
                }
            });
            leaders.clear();
            leaders.putAll(now);
        }
    }

    /** {@code kv-1[g1 F t3 l2 a120, ...] age 300ms; ...}: what each kv-server last reported. */
    private static String describe(ClusterStatusResponse status) {
        StringBuilder sb = new StringBuilder("meta leader " + status.getMetaLeaderId());
        for (ServerStatus s : status.getServersList()) {
            sb.append("; kv-").append(s.getServerId()).append(" age ").append(s.getLastHeartbeatAgeMillis()).append("ms [");
            for (GroupReport r : s.getGroupsList()) {
                sb.append(" g").append(r.getGroupId()).append(' ').append(r.getRole().isEmpty() ? "?" : r.getRole().substring(0, 1))
                        .append(" t").append(r.getTerm()).append(" l").append(r.getLeaderId()).append(" c")
                        .append(r.getCommit()).append(" a").append(r.getApplied());
            }
            sb.append(" ]");
        }
        return sb.toString();
    }

    /** Stops the watcher; safe to call twice. */
    @Override
    public void close() {
        stop.set(true);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.shardkv.kv.replica;

import io.shardkv.kv.metalink.ClusterView;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.runtime.RaftServer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage-collects replicas this server no longer belongs to: a hosted group whose applied
 * membership does not contain this server (it was removed while the meta-server could not
 * reach it) is destroyed here. An empty replica (no membership yet) is waiting to be caught up
 * and is kept; a replica is destroyed only after two checks in a row agree, never while it still
 * leads (a removed leader first hands leadership over), and never while the cluster map lists
 * this server in the group (it is being added back and its old replica will catch up).
 */
public final class ReplicaCollector {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaCollector.class);

    private final RaftServer raft;
    private final Replicas replicas;
    private final Executor executor;
    private final ClusterView view;
    private final Map<Long, Integer> strikes = new ConcurrentHashMap<>();

    public ReplicaCollector(RaftServer raft, Replicas replicas, Executor executor, ClusterView view) {
        this.raft = raft;
        this.view = view;
        this.replicas = replicas;
        this.executor = executor;
    }

    /** Checks every hosted group once; run periodically. */
    public void check() {
        strikes.keySet().retainAll(replicas.ids());
        for (long g : replicas.ids()) {
            raft.status(g).whenCompleteAsync((st, failure) -> {
                if (failure != null) {
                    return; // Not hosted any more, failed or closing: nothing to collect now.
                }
                ConfState m = st.membership();
                boolean known = !m.voters().isEmpty() || !m.votersOutgoing().isEmpty();
                if (!known || m.includes(raft.serverId()) || st.role() == Role.LEADER
                        || view.listsReplica(g, raft.serverId())) {
                    strikes.remove(g);
                    return;
                }
                if (strikes.merge(g, 1, Integer::sum) < 2) {
                    return;
                }
                strikes.remove(g);
                LOG.info("group {}: this server {} is not in the applied membership {}; destroying its replica", g,
                        raft.serverId(), m);
                try {
                    replicas.destroy(g);
                } catch (RuntimeException e) {
                    LOG.error("cannot destroy removed replica of group {}", g, e);
                }
            }, executor);
        }
    }
}

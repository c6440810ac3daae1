package io.shardkv.kv.replica;

import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.kv.state.StateMachineSettings;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.runtime.RaftServer;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group replicas this server hosts: each one's raft replica in the {@link RaftServer} and
 * its {@link KvStateMachine} in the shared {@link KvEngine}. Creating and destroying replicas is
 * serialized here so that the two stay in step; lookups are lock-free.
 */
public final class Replicas {
    private static final Logger LOG = LoggerFactory.getLogger(Replicas.class);

    private final RaftServer raft;
    private final KvEngine engine;
    private final StateMachineSettings settings;
    private final ConcurrentMap<Long, KvStateMachine> machines = new ConcurrentHashMap<>();

    public Replicas(RaftServer raft, KvEngine engine, StateMachineSettings settings) {
        this.raft = raft;
        this.engine = engine;
        this.settings = settings;
    }

    /**
     * Reopens every group whose log is stored here (after a restart) and drops KV state left by
     * a group whose log is gone (a destroy interrupted by a crash).
     */
    public synchronized void openStored() {
        Set<Long> stored = raft.storedGroups();
        for (long g : stored) {
            KvStateMachine sm = KvStateMachine.open(g, engine, settings);
            raft.openGroup(g, sm);
            machines.put(g, sm);
            LOG.info("reopened group {} at applied index {}", g, sm.appliedIndex());
        }
        for (long g : engine.groupsWithState()) {
            if (!stored.contains(g)) {
                LOG.warn("dropping KV state of group {}: its raft log is gone", g);
                engine.deleteGroup(g);
            }
        }
    }

    public Optional<KvStateMachine> get(long groupId) {
        return Optional.ofNullable(machines.get(groupId));
    }

    public Set<Long> ids() {
        return new TreeSet<>(machines.keySet());
    }

    /**
     * Creates this server's replica of a group: bootstrapped with {@code members}, or empty
     * ({@link ConfState#EMPTY}) to be caught up by the leader. Returns false if it is already
     * hosted (idempotent).
     */
    public synchronized boolean create(long groupId, ConfState members) {
        if (machines.containsKey(groupId)) {
            return false;
        }
        if (raft.storedGroups().contains(groupId)) {
            throw new IllegalStateException("group " + groupId + " has a stored log but is not hosted on server "
                    + raft.serverId());
        }
        // A fresh replica starts from nothing, whatever an interrupted destroy left behind.
        engine.deleteGroup(groupId);
        KvStateMachine sm = KvStateMachine.open(groupId, engine, settings);
        raft.createGroup(groupId, members, sm);
        machines.put(groupId, sm);
        LOG.info("created replica of group {} with {}", groupId, members);
        return true;
    }

    /** Stops hosting a group and deletes its log and KV state here; false if it was not hosted. */
    public synchronized boolean destroy(long groupId) {
        KvStateMachine sm = machines.remove(groupId);
        if (sm == null) {
            engine.deleteGroup(groupId);
            return false;
        }
        raft.removeGroup(groupId);
        sm.close();
        engine.deleteGroup(groupId);
        LOG.info("destroyed replica of group {}", groupId);
        return true;
    }

    /** Waits for applies in progress and refuses further ones, before the engine closes. */
    public synchronized void closeAll() {
        machines.values().forEach(KvStateMachine::close);
    }
}

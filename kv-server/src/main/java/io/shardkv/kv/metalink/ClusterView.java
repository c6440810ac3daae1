package io.shardkv.kv.metalink;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.raft.transport.PeerAddress;
import io.shardkv.raft.transport.PeerDirectory;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server's latest view of the cluster map: its version (sent with WRONG_GROUP), the client
 * addresses of the other servers (sent with NOT_LEADER) and their raft addresses, which it
 * feeds to the transport's {@link PeerDirectory}. The map watcher updates it; tests may update
 * it directly. Thread-safe.
 */
public final class ClusterView {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterView.class);

    private final long selfId;
    private final PeerDirectory peers;
    private volatile ClusterMap map = ClusterMap.getDefaultInstance();

    public ClusterView(long selfId, PeerDirectory peers) {
        this.selfId = selfId;
        this.peers = peers;
    }

    /** Takes a map unless an equal or newer version is already held; returns whether it did. */
    public synchronized boolean update(ClusterMap next) {
        if (next.getConfigVersion() < map.getConfigVersion()
                || (next.getConfigVersion() == map.getConfigVersion() && map.getServersCount() > 0)) {
            return false;
        }
        for (ServerInfo s : next.getServersList()) {
            if (s.getId() <= 0 || s.getId() == selfId || s.getRaftAddress().isEmpty()) {
                continue;
            }
            try {
                peers.put(s.getId(), PeerAddress.parse(s.getRaftAddress()));
            } catch (IllegalArgumentException e) {
                LOG.warn("map version {} has a bad raft address for server {}: {}", next.getConfigVersion(),
                        s.getId(), e.getMessage());
            }
        }
        map = next;
        return true;
    }

    public ClusterMap map() {
        return map;
    }

    public long version() {
        return map.getConfigVersion();
    }

    /** Whether the map lists {@code serverId} as a replica (voter or learner) of {@code groupId}. */
    public boolean listsReplica(long groupId, long serverId) {
        for (ShardGroupInfo g : map.getGroupsList()) {
            if (g.getId() == groupId) {
                for (Replica r : g.getReplicasList()) {
                    if (r.getServerId() == serverId) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The address clients dial for a server's KvService (its advertised one, if any), if the map knows it. */
    public Optional<String> clientAddress(long serverId) {
        for (ServerInfo s : map.getServersList()) {
            if (s.getId() == serverId) {
                String address = s.getClientAddress().isEmpty() ? s.getAddress() : s.getClientAddress();
                return address.isEmpty() ? Optional.empty() : Optional.of(address);
            }
        }
        return Optional.empty();
    }
}

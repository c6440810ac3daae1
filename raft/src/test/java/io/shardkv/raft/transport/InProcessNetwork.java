package io.shardkv.raft.transport;

import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connects the servers of one JVM: for embedded clusters and runtime tests. Every message except
 * snapshots goes through the wire codec, as it would over the network; a server marked down
 * neither sends nor receives, and its peers hear that it is unreachable.
 */
public final class InProcessNetwork {
    private final Map<Long, RaftTransport.Inbound> servers = new ConcurrentHashMap<>();
    private final Set<Long> down = ConcurrentHashMap.newKeySet();

    public RaftTransport transportFor(long serverId) {
        return new Endpoint(serverId);
    }

    /** Cuts a server off (as if its process died or its network failed) or brings it back. */
    public void setDown(long serverId, boolean isDown) {
        if (isDown) {
            down.add(serverId);
        } else {
            down.remove(serverId);
        }
    }

    private final class Endpoint implements RaftTransport {
        private final long serverId;
        private volatile RaftTransport.Inbound inbound;

        Endpoint(long serverId) {
            this.serverId = serverId;
        }

        @Override
        public void start(long localServer, Inbound in) {
            if (localServer != serverId) {
                throw new IllegalArgumentException("endpoint of " + serverId + " started as " + localServer);
            }
            inbound = in;
            servers.put(serverId, in);
        }

        @Override
        public void send(long toServer, List<GroupMessage> messages) {
            RaftTransport.Inbound target = servers.get(toServer);
            if (target == null || down.contains(toServer) || down.contains(serverId)) {
                inbound.onUnreachable(toServer);
                for (GroupMessage gm : messages) {
                    if (gm.message().type() == MessageType.SNAPSHOT) {
                        inbound.onSnapshotStatus(gm.groupId(), toServer, false);
                    }
                }
                return;
            }
            List<GroupMessage> delivered = new ArrayList<>(messages.size());
            for (GroupMessage gm : messages) {
                Message m = gm.message();
                delivered.add(m.type() == MessageType.SNAPSHOT ? gm
                        : new GroupMessage(gm.groupId(), RaftMessageCodec.decode(RaftMessageCodec.encode(gm.groupId(), m))));
            }
            target.onMessages(serverId, delivered);
            for (GroupMessage gm : messages) {
                if (gm.message().type() == MessageType.SNAPSHOT) {
                    inbound.onSnapshotStatus(gm.groupId(), toServer, true);
                }
            }
        }

        @Override
        public void close() {
            servers.remove(serverId, inbound);
        }
    }
}

package io.shardkv.raft.transport;

import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotReader;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.snapshot.SnapshotWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connects the servers of one JVM: for embedded clusters and runtime tests. Every message except
 * snapshots goes through the wire codec, as it would over the network; a snapshot's files are
 * copied from the sender's store into the receiver's, checked as a real receiver checks them. A
 * server marked down neither sends nor receives, and its peers hear that it is unreachable.
 */
public final class InProcessNetwork {
    private final Map<Long, RaftTransport.Inbound> servers = new ConcurrentHashMap<>();
    private final Map<Long, SnapshotStore> stores = new ConcurrentHashMap<>();
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
        public void start(long localServer, Inbound in, SnapshotStore snapshots) {
            if (localServer != serverId) {
                throw new IllegalArgumentException("endpoint of " + serverId + " started as " + localServer);
            }
            inbound = in;
            stores.put(serverId, snapshots);
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
            List<Long> snapshotGroups = new ArrayList<>();
            for (GroupMessage gm : messages) {
                Message m = gm.message();
                if (m.type() != MessageType.SNAPSHOT) {
                    delivered.add(new GroupMessage(gm.groupId(),
                            RaftMessageCodec.decode(RaftMessageCodec.encode(gm.groupId(), m))));
                    continue;
                }
                Message copied = copySnapshot(m, stores.get(toServer));
                if (copied == null) {
                    inbound.onSnapshotStatus(gm.groupId(), toServer, false);
                } else {
                    delivered.add(new GroupMessage(gm.groupId(), copied));
                    snapshotGroups.add(gm.groupId());
                }
            }
            target.onMessages(serverId, delivered);
            for (long groupId : snapshotGroups) {
                inbound.onSnapshotStatus(groupId, toServer, true);
            }
        }

        /** The message with its files copied into {@code into}, or null if they could not be. */
        private Message copySnapshot(Message m, SnapshotStore into) {
            SnapshotRef ref = SnapshotStore.parseRef(m.snapshot().data());
            try (SnapshotReader reader = stores.get(serverId).openReader(ref);
                 SnapshotWriter writer = into.newWriter(ref.getManifest())) {
                ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
                while (reader.read(buffer.clear()) > 0) {
                    writer.write(buffer.flip());
                }
                SnapshotRef copy = writer.finish();
                return Message.builder(MessageType.SNAPSHOT).from(m.from()).to(m.to()).term(m.term())
                        .snapshot(new Snapshot(m.snapshot().metadata(), copy.toByteArray())).build();
            } catch (IOException | SnapshotWriter.SnapshotDamagedException e) {
                return null;
            }
        }

        @Override
        public void close() {
            servers.remove(serverId, inbound);
        }
    }
}

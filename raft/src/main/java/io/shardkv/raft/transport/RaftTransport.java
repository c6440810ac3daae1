package io.shardkv.raft.transport;

import io.shardkv.raft.snapshot.SnapshotStore;
import java.util.List;

/**
 * Moves Raft messages between servers. Sends never block the poller that calls them: a
 * transport queues or drops (Raft tolerates loss) and reports unreachable servers and the
 * outcome of snapshots through the {@link Inbound} it was started with.
 */
public interface RaftTransport extends AutoCloseable {

    /** Where a transport delivers what arrives for this server, and what it learns about peers. */
    interface Inbound {
        /** Messages from {@code fromServer}, in the order that server produced them. */
        void onMessages(long fromServer, List<GroupMessage> messages);

        /** {@code server} could not be reached; its groups' replicas there are likely down. */
        void onUnreachable(long server);

        /** A snapshot this server sent for {@code groupId} to {@code toServer} arrived, or failed. */
        void onSnapshotStatus(long groupId, long toServer, boolean success);
    }

    /**
     * Starts delivering to {@code inbound}. A SNAPSHOT message's data is a reference into a
     * {@link SnapshotStore}: sent, the transport streams the files from {@code snapshots}; received,
     * it writes them into {@code snapshots} and delivers a reference to its own copy.
     */
    void start(long localServer, Inbound inbound, SnapshotStore snapshots);

    /** Sends one cycle's messages for one destination. */
    void send(long toServer, List<GroupMessage> messages);

    @Override
    void close();
}

package io.shardkv.raft.transport;

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

    void start(long localServer, Inbound inbound);

    /** Sends one cycle's messages for one destination. */
    void send(long toServer, List<GroupMessage> messages);

    @Override
    void close();
}

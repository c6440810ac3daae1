package io.shardkv.raft.transport;

import java.util.ArrayList;
import java.util.List;

/** Records what a transport hands to its server: frames of messages, unreachable peers, snapshot outcomes. */
final class RecordingInbound implements RaftTransport.Inbound {

    /** One onMessages call: the messages of one frame (or one snapshot). */
    record Delivery(long fromServer, List<GroupMessage> messages) {
    }

    record SnapshotStatus(long groupId, long toServer, boolean success) {
    }

    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<Long> unreachable = new ArrayList<>();
    private final List<SnapshotStatus> snapshotStatuses = new ArrayList<>();

    @Override
    public synchronized void onMessages(long fromServer, List<GroupMessage> messages) {
        deliveries.add(new Delivery(fromServer, List.copyOf(messages)));
    }

    @Override
    public synchronized void onUnreachable(long server) {
        unreachable.add(server);
    }

    @Override
    public synchronized void onSnapshotStatus(long groupId, long toServer, boolean success) {
        snapshotStatuses.add(new SnapshotStatus(groupId, toServer, success));
    }

    synchronized List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** Every message received from {@code fromServer}, in arrival order. */
    synchronized List<GroupMessage> messagesFrom(long fromServer) {
        List<GroupMessage> out = new ArrayList<>();
        for (Delivery d : deliveries) {
            if (d.fromServer() == fromServer) {
                out.addAll(d.messages());
            }
        }
        return out;
    }

    synchronized List<Long> unreachable() {
        return List.copyOf(unreachable);
    }

    synchronized List<SnapshotStatus> snapshotStatuses() {
        return List.copyOf(snapshotStatuses);
    }

    synchronized void clear() {
        deliveries.clear();
        unreachable.clear();
        snapshotStatuses.clear();
    }
}

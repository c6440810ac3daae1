package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.proto.SnapshotManifest;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotFiles;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.snapshot.SnapshotWriter;
import io.shardkv.raft.sim.SimEventQueue;
import io.shardkv.raft.transport.GroupMessage;
import io.shardkv.raft.transport.RaftTransport;
import io.shardkv.raft.transport.WireCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One server life's end of the {@link SimNetwork}. A cycle's messages for a server travel as one
 * encoded frame (the real batch format); a snapshot travels apart, its files copied from the
 * sender's store into the receiver's, and the sender hears whether it arrived. Servers that
 * cannot be reached (cut off, dead or frozen) are reported unreachable after a while, as the
 * real transport's liveness monitor does.
 */
final class SimTransport implements RaftTransport {
    /** How long after a failed send the peer is reported unreachable. */
    private static final long UNREACHABLE_AFTER_NANOS = 500_000_000L;

    private final SimProcess process;
    private final SimNetwork network;
    private final SimEventQueue queue;
    private final SimWorldLog log;
    private long localServer;
    private Inbound inbound;
    private SnapshotStore store;
    private WireCodec codec;
    private final Set<Long> unreachablePending = new HashSet<>();
    private boolean closed;

    SimTransport(SimProcess process, SimNetwork network, SimEventQueue queue, SimWorldLog log) {
        this.process = process;
        this.network = network;
        this.queue = queue;
        this.log = log;
    }

    @Override
    public void start(long localServer, Inbound inbound, SnapshotStore snapshots) {
        this.localServer = localServer;
        this.inbound = inbound;
        this.store = snapshots;
        this.codec = new WireCodec(localServer, 64L << 20);
        network.attach(localServer, this);
    }

    @Override
    public void send(long toServer, List<GroupMessage> messages) {
        if (closed) {
            return;
        }
        List<GroupMessage> frame = new ArrayList<>();
        for (GroupMessage gm : messages) {
            if (gm.message().type() == MessageType.SNAPSHOT) {
                sendSnapshot(toServer, gm);
            } else {
                frame.add(gm);
            }
        }
        if (frame.isEmpty()) {
            return;
        }
        SimTransport target = network.transport(toServer);
        if (target == null || target.process.isPaused() || !network.passes(localServer, toServer)) {
            suspect(toServer);
            if (target == null || !network.passes(localServer, toServer)) {
                return;
            }
        }
        byte[] bytes = codec.encode(toServer, frame);
        long from = localServer;
        target.process.run(network.delay(queue.now(), from, toServer), "deliver", () -> {
            if (!target.closed) {
                target.inbound.onMessages(from, WireCodec.decode(bytes));
            }
        });
    }

    /** Reports {@code server} unreachable a little later, once for a burst of failed sends. */
    private void suspect(long server) {
        if (unreachablePending.add(server)) {
            process.run(UNREACHABLE_AFTER_NANOS, "unreachable", () -> {
                unreachablePending.remove(server);
                SimTransport t = network.transport(server);
                if (!closed && (t == null || t.process.isPaused() || network.isCut(localServer, server))) {
                    inbound.onUnreachable(server);
                }
            });
        }
    }

    /**
     * Copies the snapshot's files into the receiver's store after a transfer time, then delivers
     * the message with a reference to the copy; the sender hears the outcome either way.
     */
    private void sendSnapshot(long toServer, GroupMessage gm) {
        SnapshotRef ref = SnapshotStore.parseRef(gm.message().snapshot().data());
        byte[] content;
        try {
            content = readAll(store.files(ref));
        } catch (IOException e) {
            process.run(0, "snapshot failed", () -> inbound.onSnapshotStatus(gm.groupId(), toServer, false));
            return;
        }
        long from = localServer;
        SimTransport target = network.transport(toServer);
        if (target == null || !network.passes(from, toServer)) {
            process.run(UNREACHABLE_AFTER_NANOS, "snapshot failed",
                    () -> inbound.onSnapshotStatus(gm.groupId(), toServer, false));
            return;
        }
        long transfer = network.delay(queue.now(), from, toServer) + content.length * 50L;
        target.process.run(transfer, "snapshot arrives", () -> {
            if (target.closed) {
                return;
            }
            Message delivered;
            try {
                SnapshotRef copy = target.receive(ref.getManifest(), content);
                Message m = gm.message();
                delivered = m.toBuilder().snapshot(new io.shardkv.raft.core.Snapshot(m.snapshot().metadata(),
                        copy.toByteArray())).build();
            } catch (IOException | SnapshotWriter.SnapshotDamagedException e) {
                log.note("server " + toServer + " could not store a snapshot: " + e);
                reportSnapshot(gm.groupId(), toServer, false);
                return;
            }
            target.inbound.onMessages(from, List.of(new GroupMessage(gm.groupId(), delivered)));
            reportSnapshot(gm.groupId(), toServer, true);
        });
    }

    private void reportSnapshot(long groupId, long toServer, boolean success) {
        process.run(network.delay(queue.now(), toServer, localServer), "snapshot status",
                () -> inbound.onSnapshotStatus(groupId, toServer, success));
    }

    private SnapshotRef receive(SnapshotManifest manifest, byte[] content)
            throws IOException, SnapshotWriter.SnapshotDamagedException {
        try (SnapshotWriter w = store.newWriter(manifest)) {
            w.write(ByteBuffer.wrap(content));
            return w.finish();
        }
    }

    private static byte[] readAll(SnapshotFiles files) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Path p : files.paths()) {
            out.write(Files.readAllBytes(p));
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        closed = true;
        network.detach(localServer, this);
    }
}

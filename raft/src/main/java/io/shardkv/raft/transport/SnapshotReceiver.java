package io.shardkv.raft.transport;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.proto.SnapshotChunk;
import io.shardkv.raft.proto.SnapshotChunkResp;
import io.shardkv.raft.proto.SnapshotManifest;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.Manifests;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.snapshot.SnapshotWriter;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * Receives one snapshot sent through {@code SendSnapshot}. The first chunk carries the manifest
 * (checked: plain file names, a total within the size bound, the snapshot's own group and
 * index). Chunks are checked (same snapshot, contiguous offsets, CRC32C) and written into the
 * snapshot's files as they come, so memory holds one chunk at a time whatever the snapshot's
 * size. Only a complete snapshot whose files match their checksums is handed to the runtime, as a
 * SNAPSHOT message from the leader whose data refers to the files in this server's store; a bad
 * chunk fails the call with a status that says what was wrong, and the partial files go.
 *
 * <p>gRPC never runs two callbacks of one call at once, so the fields need no lock.
 */
final class SnapshotReceiver implements StreamObserver<SnapshotChunk> {
    private static final System.Logger LOG = System.getLogger(SnapshotReceiver.class.getName());

    private final long localServer;
    private final SnapshotStore store;
    private final long maxSnapshotBytes;
    private final StreamObserver<SnapshotChunkResp> responses;
    private final RaftTransport.Inbound inbound;
    private final TransportMetrics metrics;
    private final Runnable onFinish;
    private final OptionalLong proven;

    /** The first chunk: every later one must name the same snapshot. Null until it arrives. */
    private SnapshotChunk first;
    private SnapshotWriter out;
    /** Bytes written so far: the offset the next chunk must have. */
    private long received;
    private boolean finished;

    /**
     * @param onFinish runs once when the call ends in any way, to release its receive slot
     */
    SnapshotReceiver(long localServer, SnapshotStore store, long maxSnapshotBytes, StreamObserver<SnapshotChunkResp> responses,
                     RaftTransport.Inbound inbound, TransportMetrics metrics, Runnable onFinish, OptionalLong proven) {
        this.proven = proven;
        this.localServer = localServer;
        this.store = store;
        this.maxSnapshotBytes = maxSnapshotBytes;
        this.responses = responses;
        this.inbound = inbound;
        this.metrics = metrics;
        this.onFinish = onFinish;
    }

    /** A chunk the receiver refuses, with the status the sender will see. */
    private static final class Refused extends Exception {
        private final Status status;

        Refused(Status status) {
            super(status.getDescription());
            this.status = status;
        }
    }

    @Override
    public void onNext(SnapshotChunk chunk) {
        if (finished) {
            return;
        }
        try {
            accept(chunk);
            if (chunk.getIsLastChunk()) {
                complete();
            }
        } catch (Refused e) {
            fail(e.status);
        } catch (SnapshotWriter.SnapshotDamagedException e) {
            fail(Status.DATA_LOSS.withDescription(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "receiving a snapshot into " + store.root() + " failed", e);
            if (!finished) {
                fail(Status.INTERNAL.withDescription("server " + localServer + " could not store the snapshot: " + e)
                        .withCause(e));
            }
        }
    }

    private void accept(SnapshotChunk chunk) throws Refused, IOException, SnapshotWriter.SnapshotDamagedException {
        if (first == null) {
            if (chunk.getGroupId() == 0 || chunk.getLeaderId() == 0 || chunk.getTerm() == 0
                    || !chunk.hasMetadata() || chunk.getMetadata().getIndex() == 0) {
                throw new Refused(Status.INVALID_ARGUMENT.withDescription("snapshot chunk lacks group, leader, term"
                        + " or metadata: group " + chunk.getGroupId() + " leader " + chunk.getLeaderId() + " term "
                        + chunk.getTerm() + " index " + chunk.getMetadata().getIndex()));
            }
            if (proven.isPresent() && proven.getAsLong() != chunk.getLeaderId()) {
                metrics.peerRefused("identity");
                throw new Refused(Status.PERMISSION_DENIED.withDescription("the caller's certificate names server "
                        + proven.getAsLong() + ", but the snapshot of group " + chunk.getGroupId() + " claims to come"
                        + " from leader " + chunk.getLeaderId()));
            }
            checkManifest(chunk);
            first = chunk;
            out = store.newWriter(chunk.getManifest());
        } else if (chunk.getGroupId() != first.getGroupId() || chunk.getTerm() != first.getTerm()
                || chunk.getLeaderId() != first.getLeaderId() || !chunk.getMetadata().equals(first.getMetadata())
                || (chunk.hasManifest() && !chunk.getManifest().equals(first.getManifest()))) {
            throw new Refused(Status.INVALID_ARGUMENT.withDescription("chunk at offset " + chunk.getOffset()
                    + " belongs to another snapshot (group " + chunk.getGroupId() + ", term " + chunk.getTerm()
                    + ", index " + chunk.getMetadata().getIndex() + ") than the first chunk (group "
                    + first.getGroupId() + ", term " + first.getTerm() + ", index "
                    + first.getMetadata().getIndex() + ")"));
        }
        if (chunk.getOffset() != received) {
            throw new Refused(Status.INVALID_ARGUMENT.withDescription("snapshot of group " + chunk.getGroupId()
                    + ": chunk at offset " + chunk.getOffset() + " where offset " + received + " was expected"));
        }
        int length = chunk.getData().size();
        CRC32C crc = new CRC32C();
        crc.update(chunk.getData().asReadOnlyByteBuffer());
        if ((int) crc.getValue() != chunk.getCrc32C()) {
            throw new Refused(Status.DATA_LOSS.withDescription("snapshot of group " + chunk.getGroupId()
                    + ": checksum mismatch in chunk at offset " + chunk.getOffset() + " (" + length + " bytes)"));
        }
        out.write(chunk.getData().asReadOnlyByteBuffer());
        received += length;
        metrics.snapshotChunkReceived(length);
    }

    /** The manifest must describe this very snapshot, and fit the size bound. */
    private void checkManifest(SnapshotChunk chunk) throws Refused {
        if (!chunk.hasManifest()) {
            throw new Refused(Status.INVALID_ARGUMENT.withDescription("the first chunk of a snapshot of group "
                    + chunk.getGroupId() + " has no manifest"));
        }
        SnapshotManifest m = chunk.getManifest();
        if (m.getGroupId() != chunk.getGroupId() || m.getIndex() != chunk.getMetadata().getIndex()
                || m.getTerm() != chunk.getMetadata().getTerm()) {
            throw new Refused(Status.INVALID_ARGUMENT.withDescription("the manifest describes group " + m.getGroupId()
                    + " at " + m.getIndex() + "@" + m.getTerm() + ", the chunk carries group " + chunk.getGroupId()
                    + " at " + chunk.getMetadata().getIndex() + "@" + chunk.getMetadata().getTerm()));
        }
        try {
            Manifests.check(m, maxSnapshotBytes);
        } catch (IllegalArgumentException e) {
            Status status = e instanceof Manifests.TooLargeException ? Status.RESOURCE_EXHAUSTED
                    : Status.INVALID_ARGUMENT;
            throw new Refused(status.withDescription(e.getMessage()));
        }
    }

    /** The last chunk arrived and was valid: hand the snapshot to the runtime and answer. */
    private void complete() throws IOException, SnapshotWriter.SnapshotDamagedException {
        SnapshotRef ref = out.finish();
        Snapshot snapshot = new Snapshot(RaftMessageCodec.decodeSnapshotMetadata(first.getMetadata()),
                ref.toByteArray());
        Message m = Message.builder(MessageType.SNAPSHOT).from(first.getLeaderId()).to(localServer)
                .term(first.getTerm()).snapshot(snapshot).build();
        inbound.onMessages(first.getLeaderId(), List.of(new GroupMessage(first.getGroupId(), m)));
        metrics.snapshotReceived();
        finish();
        // The transport does not know the group's term; the leader learns it from the group's
        // next messages, so the answer leaves it 0.
        responses.onNext(SnapshotChunkResp.newBuilder().setOffset(received).setSuccess(true).setIsLastChunk(true)
                .build());
        responses.onCompleted();
    }

    @Override
    public void onError(Throwable t) {
        if (!finished) {
            LOG.log(System.Logger.Level.INFO, "snapshot transfer to server " + localServer + " ended by the sender: "
                    + StatusText.of(t));
            metrics.snapshotReceiveFailed();
            finish();
        }
    }

    @Override
    public void onCompleted() {
        if (!finished) {
            fail(Status.INVALID_ARGUMENT.withDescription("snapshot stream ended after " + received
                    + " bytes without a last chunk"));
        }
    }

    private void fail(Status status) {
        LOG.log(System.Logger.Level.WARNING, "refused snapshot on server " + localServer + ": "
                + StatusText.of(status.asRuntimeException()));
        metrics.snapshotReceiveFailed();
        finish();
        responses.onError(status.asRuntimeException());
    }

    /** Releases the files and the slot; an unfinished snapshot's files never outlive the call. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            if (out != null) {
                out.abort();
            }
        } finally {
            onFinish.run();
        }
    }
}

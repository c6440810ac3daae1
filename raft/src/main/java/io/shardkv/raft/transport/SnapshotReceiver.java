package io.shardkv.raft.transport;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.proto.SnapshotChunk;
import io.shardkv.raft.proto.SnapshotChunkResp;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Receives one snapshot sent through {@code SendSnapshot}. Chunks are checked (same snapshot,
 * contiguous offsets, CRC32C, size bound) and written to a temporary file as they come, so
 * memory holds one chunk at a time during the transfer. Only a complete and valid snapshot is
 * handed to the runtime, as a SNAPSHOT message from the leader; a bad chunk fails the call with
 * a status that says what was wrong, and the temporary file is deleted in every outcome.
 *
 * <p>gRPC never runs two callbacks of one call at once, so the fields need no lock.
 */
final class SnapshotReceiver implements StreamObserver<SnapshotChunk> {
    private static final System.Logger LOG = System.getLogger(SnapshotReceiver.class.getName());

    /** Temporary files end with this; a restarted transport deletes leftovers. */
    static final String PART_SUFFIX = ".part";

    private final long localServer;
    private final Path dir;
    private final long maxSnapshotBytes;
    private final StreamObserver<SnapshotChunkResp> responses;
    private final RaftTransport.Inbound inbound;
    private final TransportMetrics metrics;
    private final Runnable onFinish;

    /** The first chunk: every later one must name the same snapshot. Null until it arrives. */
    private SnapshotChunk first;
    private Path file;
    private FileChannel out;
    /** Bytes written so far: the offset the next chunk must have. */
    private long received;
    private boolean finished;

    /**
     * @param onFinish runs once when the call ends in any way, to release its receive slot
     */
    SnapshotReceiver(long localServer, Path dir, long maxSnapshotBytes, StreamObserver<SnapshotChunkResp> responses,
                     RaftTransport.Inbound inbound, TransportMetrics metrics, Runnable onFinish) {
        this.localServer = localServer;
        this.dir = dir;
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
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "receiving a snapshot into " + file + " failed", e);
            if (!finished) {
                fail(Status.INTERNAL.withDescription("server " + localServer + " could not store the snapshot: " + e)
                        .withCause(e));
            }
        }
    }

    private void accept(SnapshotChunk chunk) throws Refused, IOException {
        if (first == null) {
            if (chunk.getGroupId() == 0 || chunk.getLeaderId() == 0 || chunk.getTerm() == 0
                    || !chunk.hasMetadata() || chunk.getMetadata().getIndex() == 0) {
                throw new Refused(Status.INVALID_ARGUMENT.withDescription("snapshot chunk lacks group, leader, term"
                        + " or metadata: group " + chunk.getGroupId() + " leader " + chunk.getLeaderId() + " term "
                        + chunk.getTerm() + " index " + chunk.getMetadata().getIndex()));
            }
            first = chunk;
            file = Files.createTempFile(dir, "snapshot-g" + chunk.getGroupId() + "-i" + chunk.getMetadata().getIndex()
                    + "-", PART_SUFFIX);
            out = FileChannel.open(file, StandardOpenOption.WRITE);
        } else if (chunk.getGroupId() != first.getGroupId() || chunk.getTerm() != first.getTerm()
                || chunk.getLeaderId() != first.getLeaderId() || !chunk.getMetadata().equals(first.getMetadata())) {
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
        if (received + length > maxSnapshotBytes) {
            throw new Refused(Status.RESOURCE_EXHAUSTED.withDescription("snapshot of group " + chunk.getGroupId()
                    + " exceeds the limit of " + maxSnapshotBytes + " bytes"));
        }
        CRC32C crc = new CRC32C();
        crc.update(chunk.getData().asReadOnlyByteBuffer());
        if ((int) crc.getValue() != chunk.getCrc32C()) {
            throw new Refused(Status.DATA_LOSS.withDescription("snapshot of group " + chunk.getGroupId()
                    + ": checksum mismatch in chunk at offset " + chunk.getOffset() + " (" + length + " bytes)"));
        }
        var buffer = chunk.getData().asReadOnlyByteBuffer();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        received += length;
        metrics.snapshotChunkReceived(length);
    }

    /** The last chunk arrived and was valid: hand the snapshot to the runtime and answer. */
    private void complete() throws IOException {
        out.close();
        byte[] data = Files.readAllBytes(file);
        if (data.length != received) {
            throw new IOException("snapshot file " + file + " holds " + data.length + " bytes, " + received
                    + " were written");
        }
        Snapshot snapshot = new Snapshot(RaftMessageCodec.decodeSnapshotMetadata(first.getMetadata()), data);
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

    /** Releases the file and the slot; the temporary file never outlives the call. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            if (out != null) {
                out.close();
            }
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "could not delete snapshot file " + file, e);
        } finally {
            onFinish.run();
        }
    }
}

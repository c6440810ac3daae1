package io.shardkv.raft.transport;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.proto.RaftTransportGrpc;
import io.shardkv.raft.proto.SnapshotChunk;
import io.shardkv.raft.proto.SnapshotChunkResp;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotReader;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * Streams snapshots to peers through the client-streaming {@code SendSnapshot} RPC, apart from
 * the message stream so a large transfer never holds up heartbeats and votes. Its threads (as
 * many as the concurrency bound) each run one transfer at a time; further snapshots wait in a
 * bounded queue, and beyond it fail at once. Every transfer ends with exactly one status report.
 */
final class SnapshotSender implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SnapshotSender.class.getName());

    /** Where the outcome of each transfer goes. */
    @FunctionalInterface
    interface StatusListener {
        void onSnapshotStatus(long groupId, long toServer, boolean success);
    }

    private final long localServer;
    private final int chunkBytes;
    private final long timeoutMillis;
    private final PeerChannels channels;
    private final SnapshotStore store;
    private final TransportMetrics metrics;
    private final StatusListener listener;
    private final ThreadPoolExecutor pool;
    /** A test hook that may alter chunks on their way out (to check that receivers reject damage). */
    private volatile UnaryOperator<SnapshotChunk> chunkFilter = UnaryOperator.identity();

    SnapshotSender(long localServer, GrpcTransportConfig config, PeerChannels channels, SnapshotStore store,
                   TransportMetrics metrics, StatusListener listener) {
        this.store = store;
        this.localServer = localServer;
        this.chunkBytes = config.snapshotChunkBytes();
        this.timeoutMillis = config.snapshotTimeoutMillis();
        this.channels = channels;
        this.metrics = metrics;
        this.listener = listener;
        AtomicInteger ids = new AtomicInteger();
        int threads = config.maxConcurrentSnapshotSends();
        BlockingQueue<Runnable> waiting = config.maxQueuedSnapshotSends() == 0 ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(config.maxQueuedSnapshotSends());
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, waiting, r -> {
            Thread t = new Thread(r, "raft-snapshot-sender-" + localServer + "-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    void setChunkFilter(UnaryOperator<SnapshotChunk> filter) {
        chunkFilter = filter;
    }

    /** Queues the transfer of a SNAPSHOT message; never blocks. */
    void submit(long groupId, Message m) {
        if (m.type() != MessageType.SNAPSHOT || m.snapshot() == null) {
            throw new IllegalArgumentException("not a snapshot message: " + m);
        }
        try {
            pool.execute(() -> transfer(groupId, m));
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "snapshot of group " + groupId + " to server " + m.to()
                    + " refused: " + pool.getQueue().size() + " transfers already wait", e);
            metrics.snapshotSendFailed();
            listener.onSnapshotStatus(groupId, m.to(), false);
        }
    }

    private void transfer(long groupId, Message m) {
        boolean success = false;
        try {
            stream(groupId, m);
            success = true;
            metrics.snapshotSent();
        } catch (SnapshotTransferException | StatusRuntimeException | IOException e) {
            LOG.log(System.Logger.Level.WARNING, "snapshot " + m.snapshot() + " of group " + groupId + " to server "
                    + m.to() + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.INFO, "snapshot of group " + groupId + " to server " + m.to()
                    + " abandoned: the transport is closing");
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "snapshot of group " + groupId + " to server " + m.to() + " failed", e);
        } finally {
            if (!success) {
                metrics.snapshotSendFailed();
            }
            listener.onSnapshotStatus(groupId, m.to(), success);
        }
    }

    private void stream(long groupId, Message m)
            throws SnapshotTransferException, InterruptedException, IOException {
        long toServer = m.to();
        ManagedChannel channel = channels.channel(toServer).orElseThrow(() ->
                new SnapshotTransferException("server " + toServer + " has no address"));
        SnapshotRef ref = SnapshotStore.parseRef(m.snapshot().data());
        try (SnapshotReader reader = store.openReader(ref)) {
            long total = reader.totalBytes();
            // Big snapshots get longer: the base deadline, plus a second per MiB (a floor of 1 MiB/s).
            Deadline deadline = Deadline.after(timeoutMillis + total / (1 << 20) * 1000, TimeUnit.MILLISECONDS);
            Call call = new Call();
            RaftTransportGrpc.newStub(channel).withDeadline(deadline).sendSnapshot(call);
            try {
                SnapshotChunk.Builder header = SnapshotChunk.newBuilder().setGroupId(groupId).setTerm(m.term())
                        .setLeaderId(m.from() == 0 ? localServer : m.from())
                        .setMetadata(RaftMessageCodec.encodeSnapshotMetadata(m.snapshot().metadata()));
                boolean firstChunk = true;
                do {
                    long offset = reader.position();
                    // A fresh buffer per chunk: gRPC may still hold the previous one until it is written out.
                    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(chunkBytes, total - offset));
                    reader.read(buffer);
                    buffer.flip();
                    CRC32C crc = new CRC32C();
                    crc.update(buffer.duplicate());
                    SnapshotChunk.Builder chunk = header.clone().setOffset(offset)
                            .setData(UnsafeByteOperations.unsafeWrap(buffer))
                            .setIsLastChunk(reader.position() == total).setCrc32C((int) crc.getValue());
                    if (firstChunk) {
                        chunk.setManifest(ref.getManifest());
                        firstChunk = false;
                    }
                    call.awaitReady(deadline);
                    call.send(chunkFilter.apply(chunk.build()));
                    metrics.snapshotChunkSent(buffer.limit());
                } while (reader.position() < total);
                call.halfClose();
                SnapshotChunkResp resp = call.awaitResponse(deadline);
                if (!resp.getSuccess() || resp.getOffset() != total) {
                    throw new SnapshotTransferException("server " + toServer + " took " + resp.getOffset() + " of "
                            + total + " bytes and answered success=" + resp.getSuccess());
                }
            } finally {
                call.cancelIfUnfinished();
            }
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** A transfer that failed for a reason the RPC status does not carry. */
    static final class SnapshotTransferException extends Exception {
        SnapshotTransferException(String message) {
            super(message);
        }
    }

    /**
     * One SendSnapshot call, seen from the sending thread: waits for gRPC's flow control
     * before each chunk, so at most a chunk or so of a snapshot sits in gRPC's buffers.
     */
    private static final class Call implements ClientResponseObserver<SnapshotChunk, SnapshotChunkResp> {
        private ClientCallStreamObserver<SnapshotChunk> requests;
        // Guarded by this.
        private SnapshotChunkResp response;
        private Throwable error;
        private boolean done;

        @Override
        public void beforeStart(ClientCallStreamObserver<SnapshotChunk> requestStream) {
            requests = requestStream;
            requestStream.setOnReadyHandler(this::wake);
        }

        private synchronized void wake() {
            notifyAll();
        }

        /** Waits until a chunk can go out; throws if the call ended (the receiver refused) or timed out. */
        synchronized void awaitReady(Deadline deadline) throws InterruptedException, SnapshotTransferException {
            while (!done && !requests.isReady()) {
                waitUntil(deadline, "flow control");
            }
            if (done) {
                throw failure("ended before the last chunk was sent");
            }
        }

        synchronized void send(SnapshotChunk chunk) {
            requests.onNext(chunk);
        }

        synchronized void halfClose() {
            requests.onCompleted();
        }

        synchronized SnapshotChunkResp awaitResponse(Deadline deadline)
                throws InterruptedException, SnapshotTransferException {
            while (!done) {
                waitUntil(deadline, "the answer");
            }
            if (response == null) {
                throw failure("ended without an answer");
            }
            return response;
        }

        synchronized void cancelIfUnfinished() {
            if (!done) {
                requests.cancel("snapshot transfer abandoned", null);
            }
        }

        private void waitUntil(Deadline deadline, String what) throws InterruptedException, SnapshotTransferException {
            long remaining = deadline.timeRemaining(TimeUnit.MILLISECONDS);
            if (remaining <= 0) {
                throw new SnapshotTransferException("deadline passed waiting for " + what);
            }
            wait(remaining);
        }

        private SnapshotTransferException failure(String what) {
            String status = error == null ? "" : ": " + StatusText.of(error);
            return new SnapshotTransferException("call " + what + status);
        }

        @Override
        public synchronized void onNext(SnapshotChunkResp value) {
            response = value;
        }

        @Override
        public synchronized void onError(Throwable t) {
            error = t;
            response = null;
            done = true;
            notifyAll();
        }

        @Override
        public synchronized void onCompleted() {
            done = true;
            notifyAll();
        }
    }
}

package io.shardkv.raft.transport;

import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.function.BiConsumer;

/**
 * The sending half of one {@code Stream} call, dialed or accepted, made safe to share: gRPC
 * observers are not thread-safe, and a sender thread writes while gRPC threads or
 * {@link GrpcRaftTransport#close()} may end the call. The first failure, from either side,
 * ends the call and runs the failure handler exactly once.
 */
final class FrameStream {
    private static final System.Logger LOG = System.getLogger(FrameStream.class.getName());

    private final CallStreamObserver<RaftMessageBatch> out;
    private final String name;
    private final BiConsumer<FrameStream, Throwable> onFailure;
    // Guarded by this. Once ended, nothing more is written to out.
    private boolean ended;

    /**
     * @param name      what the stream connects, for logs ("server 1 -> server 3 (dialed)")
     * @param onFailure runs once, outside any lock, after the call has ended
     */
    FrameStream(CallStreamObserver<RaftMessageBatch> out, String name, BiConsumer<FrameStream, Throwable> onFailure) {
        this.out = out;
        this.name = name;
        this.onFailure = onFailure;
    }

    /** True if a frame written now would go out without piling up in gRPC's buffers. */
    synchronized boolean isReady() {
        return !ended && out.isReady();
    }

    /**
     * Writes one frame, ready or not (gRPC buffers it).
     *
     * @throws IllegalStateException if the stream has ended
     */
    synchronized void write(RaftMessageBatch frame) {
        if (ended) {
            throw new IllegalStateException("stream " + name + " has ended");
        }
        out.onNext(frame);
    }

    /**
     * Ends the call because of {@code cause} (a remote error, a failed write, or a local
     * decision such as a newer stream replacing this one) and runs the failure handler.
     * Later calls do nothing.
     */
    void fail(Throwable cause) {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                out.onError(Status.fromThrowable(cause).asRuntimeException());
            } catch (RuntimeException e) {
                // The call had already ended on gRPC's side; there is nothing left to close.
                LOG.log(System.Logger.Level.DEBUG, "ending stream " + name + " after it closed", e);
            }
        }
        onFailure.accept(this, cause);
    }

    @Override
    public String toString() {
        return name;
    }
}

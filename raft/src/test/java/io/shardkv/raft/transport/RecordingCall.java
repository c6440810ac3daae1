package io.shardkv.raft.transport;

import io.grpc.stub.CallStreamObserver;
import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The sending half of a Stream call without a network: it records each frame written and the
 * thread that wrote it, is ready while {@link #ready} says so, and runs {@link #onWrite} inside
 * each write (where a test may queue more, as another thread would meanwhile).
 */
final class RecordingCall extends CallStreamObserver<RaftMessageBatch> {
    /** One frame written, and by whom. */
    record Frame(RaftMessageBatch batch, Thread thread) {
    }

    final List<Frame> frames = new CopyOnWriteArrayList<>();
    volatile boolean ready;
    volatile Consumer<RaftMessageBatch> onWrite = frame -> { };

    RecordingCall(boolean ready) {
        this.ready = ready;
    }

    @Override
    public boolean isReady() {
        return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
    }

    @Override
    public void disableAutoInboundFlowControl() {
    }

    @Override
    public void request(int count) {
    }

    @Override
    public void setMessageCompression(boolean enable) {
    }

    @Override
    public void onNext(RaftMessageBatch value) {
        frames.add(new Frame(value, Thread.currentThread()));
        onWrite.accept(value);
    }

    @Override
    public void onError(Throwable t) {
    }

    @Override
    public void onCompleted() {
    }
}

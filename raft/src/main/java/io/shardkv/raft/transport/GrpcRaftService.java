package io.shardkv.raft.transport;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.shardkv.raft.proto.RaftMessageBatch;
import io.shardkv.raft.proto.RaftTransportGrpc;
import io.shardkv.raft.proto.SnapshotChunk;
import io.shardkv.raft.proto.SnapshotChunkResp;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The RaftTransport gRPC service this server runs: accepts message streams from lower-id peers
 * and snapshots from any peer, at most a configured number of snapshots at once.
 */
final class GrpcRaftService extends RaftTransportGrpc.RaftTransportImplBase {
    private static final System.Logger LOG = System.getLogger(GrpcRaftService.class.getName());

    private final long localServer;
    private final AcceptedStream.Acceptor acceptor;
    private final BatchCodec codec;
    private final FrameReceiver receiver;
    private final SnapshotStore snapshotStore;
    private final long maxSnapshotBytes;
    private final int maxConcurrentSnapshots;
    private final RaftTransport.Inbound inbound;
    private final TransportMetrics metrics;
    private final TransportSecurity security;
    private final AtomicInteger activeSnapshots = new AtomicInteger();

    GrpcRaftService(long localServer, AcceptedStream.Acceptor acceptor, BatchCodec codec, FrameReceiver receiver,
                    GrpcTransportConfig config, RaftTransport.Inbound inbound, SnapshotStore snapshotStore,
                    TransportMetrics metrics, TransportSecurity security) {
        this.security = security;
        this.localServer = localServer;
        this.acceptor = acceptor;
        this.codec = codec;
        this.receiver = receiver;
        this.snapshotStore = snapshotStore;
        this.maxSnapshotBytes = config.maxSnapshotBytes();
        this.maxConcurrentSnapshots = config.maxConcurrentSnapshotReceives();
        this.inbound = inbound;
        this.metrics = metrics;
    }

    @Override
    public StreamObserver<RaftMessageBatch> stream(StreamObserver<RaftMessageBatch> responseObserver) {
        return new AcceptedStream(localServer, (ServerCallStreamObserver<RaftMessageBatch>) responseObserver,
                acceptor, codec, receiver, security.provenPeer(), metrics);
    }

    @Override
    public StreamObserver<SnapshotChunk> sendSnapshot(StreamObserver<SnapshotChunkResp> responseObserver) {
        if (activeSnapshots.incrementAndGet() > maxConcurrentSnapshots) {
            activeSnapshots.decrementAndGet();
            String why = "server " + localServer + " already receives " + maxConcurrentSnapshots + " snapshots";
            LOG.log(System.Logger.Level.WARNING, "refused a snapshot: " + why);
            metrics.snapshotReceiveFailed();
            responseObserver.onError(Status.RESOURCE_EXHAUSTED.withDescription(why).asRuntimeException());
            return new Ignored();
        }
        return new SnapshotReceiver(localServer, snapshotStore, maxSnapshotBytes, responseObserver, inbound, metrics,
                activeSnapshots::decrementAndGet, security.provenPeer());
    }

    /** Swallows the chunks of a refused call that are already on their way; the call has ended. */
    private static final class Ignored implements StreamObserver<SnapshotChunk> {
        @Override
        public void onNext(SnapshotChunk value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}

package io.shardkv.raft.transport;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.shardkv.raft.proto.RaftMessageBatch;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The server side of a Stream call that a lower-id peer dialed. Its first frame must be a
 * hello naming the peer and this server; the answer is a hello, after which this server's
 * frames for the peer go out on the same call. gRPC never runs two callbacks of one call at
 * once, so the fields need no lock.
 */
final class AcceptedStream implements StreamObserver<RaftMessageBatch> {
    private static final System.Logger LOG = System.getLogger(AcceptedStream.class.getName());

    /** What the transport does for accepted streams. */
    interface Acceptor {
        /** The connection for a peer that greeted this server, or empty if the transport is closing. */
        Optional<PeerConnection> accept(long peerServer);

        /** Whether the cluster map (the peer directory) names the server. */
        boolean knows(long peerServer);

        /** The stream of an accepted peer ended. */
        void lost(PeerConnection connection, FrameStream stream, Throwable cause);
    }

    private final long localServer;
    private final ServerCallStreamObserver<RaftMessageBatch> out;
    private final Acceptor acceptor;
    private final BatchCodec codec;
    private final FrameReceiver receiver;
    private final OptionalLong proven;
    private final TransportMetrics metrics;
    private volatile PeerConnection connection;
    private volatile FrameStream stream;
    private boolean refused;

    /** Must run inside the service's {@code stream} method: gRPC takes the handlers only then. */
    AcceptedStream(long localServer, ServerCallStreamObserver<RaftMessageBatch> out, Acceptor acceptor,
                   BatchCodec codec, FrameReceiver receiver, OptionalLong proven, TransportMetrics metrics) {
        this.localServer = localServer;
        this.proven = proven;
        this.metrics = metrics;
        this.out = out;
        this.acceptor = acceptor;
        this.codec = codec;
        this.receiver = receiver;
        out.setOnReadyHandler(() -> {
            PeerConnection c = connection;
            if (c != null) {
                c.requestFlush();
            }
        });
        // With a cancel handler set, writing to a call the peer cancelled is ignored instead of
        // throwing; the failure still reaches onError below.
        out.setOnCancelHandler(() -> failStream(Status.CANCELLED.withDescription("the peer cancelled the stream")));
    }

    @Override
    public void onNext(RaftMessageBatch frame) {
        PeerConnection c = connection;
        if (c != null) {
            c.heard(System.nanoTime());
            receiver.receive(c.peerServer(), frame);
            return;
        }
        if (refused) {
            return;
        }
        long peer = frame.getFromServer();
        String problem = null;
        Status refusal = Status.FAILED_PRECONDITION;
        if (!BatchCodec.isHello(frame) || frame.getToServer() != localServer) {
            problem = "expected a hello to server " + localServer + ", got a frame " + peer + " -> "
                    + frame.getToServer();
        } else if (proven.isPresent() && proven.getAsLong() != peer) {
            // A server's certificate is good for its own id only: it may not speak for another.
            problem = "the caller's certificate names server " + proven.getAsLong() + ", but its hello claims server "
                    + peer;
            refusal = Status.PERMISSION_DENIED;
            metrics.peerRefused("identity");
        } else if (proven.isPresent() && !acceptor.knows(peer)) {
            problem = "server " + peer + " is not in server " + localServer + "'s cluster map (yet)";
            refusal = Status.UNAVAILABLE;
            metrics.peerRefused("unknown");
        } else if (peer <= 0 || peer >= localServer) {
            problem = "server " + peer + " dialed server " + localServer + ", but the lower id of a pair dials";
        }
        Optional<PeerConnection> accepted = problem == null ? acceptor.accept(peer) : Optional.empty();
        if (problem == null && accepted.isEmpty()) {
            problem = "server " + localServer + " is shutting down";
        }
        if (problem != null) {
            refused = true;
            LOG.log(System.Logger.Level.WARNING, "refused a stream: " + problem);
            out.onError(refusal.withDescription(problem).asRuntimeException());
            return;
        }
        PeerConnection conn = accepted.get();
        FrameStream s = new FrameStream(out, peer + " -> " + localServer + " (accepted)",
                (fs, cause) -> acceptor.lost(conn, fs, cause));
        s.write(codec.hello(peer));
        stream = s;
        connection = conn;
        conn.attach(s);
        LOG.log(System.Logger.Level.INFO, "accepted " + s);
    }

    @Override
    public void onError(Throwable t) {
        FrameStream s = stream;
        if (s != null) {
            s.fail(t);
        }
    }

    @Override
    public void onCompleted() {
        failStream(Status.UNAVAILABLE.withDescription("the peer closed the stream"));
    }

    private void failStream(Status status) {
        FrameStream s = stream;
        if (s != null) {
            s.fail(status.asRuntimeException());
        }
    }
}

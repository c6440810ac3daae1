package io.shardkv.raft.transport;

import io.shardkv.raft.snapshot.SnapshotStore;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.proto.RaftMessageBatch;
import io.shardkv.raft.proto.RaftTransportGrpc;
import io.shardkv.raft.testing.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure detector over real gRPC on 127.0.0.1: a far end that greets and then goes silent,
 * as a frozen process does (its connection stays open), is reported unreachable whether it
 * dialed the stream or accepted it; a healthy idle pair stays connected on pings alone.
 */
class SilentPeerTest {
    private static final long PING_MILLIS = 50;
    private static final long SILENCE_MILLIS = 400;
    /** Detection takes one silence period plus a check interval; the rest is slack for a busy machine. */
    private static final Duration DETECTED_WITHIN = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final PeerDirectory directory = new PeerDirectory();
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private record Node(GrpcRaftTransport transport, RecordingInbound inbound, SimpleMeterRegistry registry) {
        double counter(String name) {
            return registry.get(name).counter().count();
        }
    }

    private Node start(long id) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RecordingInbound inbound = new RecordingInbound();
        GrpcRaftTransport transport = new GrpcRaftTransport(GrpcTransportConfig.builder()
                .reconnectBackoffMillis(20, 200).liveness(PING_MILLIS, SILENCE_MILLIS).build(), directory, registry);
        transport.start(id, inbound, SnapshotStore.open(dir.resolve("snap-" + id)));
        open.add(transport::close);
        directory.put(id, new PeerAddress("127.0.0.1", transport.port()));
        return new Node(transport, inbound, registry);
    }

    private static RaftMessageBatch hello(long from, long to) {
        return RaftMessageBatch.newBuilder().setFromServer(from).setToServer(to).build();
    }

    /** Frames a fake peer received. */
    private static final class Received implements StreamObserver<RaftMessageBatch> {
        final List<RaftMessageBatch> frames = new CopyOnWriteArrayList<>();

        @Override
        public void onNext(RaftMessageBatch frame) {
            frames.add(frame);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    @Test
    void aDialerThatGoesSilentIsReportedByTheAcceptingSide() {
        Node two = start(2);
        // A fake server 1 dials server 2, greets, and then sends nothing more: a frozen process.
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", two.transport().port(),
                InsecureChannelCredentials.create()).build();
        open.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        Received received = new Received();
        StreamObserver<RaftMessageBatch> out = RaftTransportGrpc.newStub(channel).stream(received);
        out.onNext(hello(1, 2));

        Await.until(DETECTED_WITHIN, () -> "server 2 reports the silent server 1 unreachable",
                () -> two.inbound().unreachable().contains(1L));
        // Before giving up, server 2 answered the greeting and pinged the quiet peer.
        assertThat(received.frames.size()).as("hello plus pings").isGreaterThanOrEqualTo(2);
        assertThat(received.frames).allMatch(BatchCodec::isHello);
        assertThat(two.counter("raft.transport.peers.silent")).isEqualTo(1);
        assertThat(two.transport().peerStatuses()).filteredOn(s -> s.serverId() == 1)
                .allMatch(s -> !s.reachable());
    }

    @Test
    void anAcceptorThatGoesSilentIsReportedByTheDialingSide() throws IOException {
        // A fake server 2 answers server 1's greeting, then never sends again.
        Received received = new Received();
        Server fake = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new RaftTransportGrpc.RaftTransportImplBase() {
                    @Override
                    public StreamObserver<RaftMessageBatch> stream(StreamObserver<RaftMessageBatch> out) {
                        return new StreamObserver<>() {
                            private boolean greeted;

                            @Override
                            public void onNext(RaftMessageBatch frame) {
                                received.onNext(frame);
                                if (!greeted) {
                                    greeted = true;
                                    out.onNext(hello(2, 1));
                                }
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        };
                    }
                }).build().start();
        open.add(() -> fake.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        directory.put(2, new PeerAddress("127.0.0.1", fake.getPort()));

        Node one = start(1);

        Await.until(DETECTED_WITHIN, () -> "server 1 reports the silent server 2 unreachable",
                () -> one.inbound().unreachable().contains(2L));
        assertThat(received.frames.size()).as("hello plus pings").isGreaterThanOrEqualTo(2);
        assertThat(one.counter("raft.transport.peers.silent")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aHealthyIdlePairStaysConnectedOnPingsAlone() {
        Node one = start(1);
        Node two = start(2);
        Await.until(() -> "servers 1 and 2 connected", () -> reachable(one, 2) && reachable(two, 1));

        // Nothing else is sent. Twenty pings each way take a second, more than twice the silence
        // timeout, so a detector that ignored pings would have cut the stream by then.
        Await.until(() -> "twenty pings each way", () -> one.counter("raft.transport.pings.sent") >= 20
                && two.counter("raft.transport.pings.sent") >= 20);

        assertThat(one.inbound().unreachable()).isEmpty();
        assertThat(two.inbound().unreachable()).isEmpty();
        assertThat(one.counter("raft.transport.peers.silent")).isZero();
        assertThat(one.registry().get("raft.transport.peer.silence").tag("peer", "2").gauge().value())
                .isLessThan(SILENCE_MILLIS / 1000.0);
    }

    private static boolean reachable(Node node, long peer) {
        return node.transport().peerStatuses().stream().anyMatch(s -> s.serverId() == peer && s.reachable());
    }
}

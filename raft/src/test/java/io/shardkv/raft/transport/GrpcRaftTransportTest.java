package io.shardkv.raft.transport;

import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotFixtures;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.UncheckedIOException;
import io.shardkv.raft.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Transports talking real gRPC over 127.0.0.1 on ephemeral ports. Every wait has a deadline. */
class GrpcRaftTransportTest {

    @TempDir
    Path dir;

    private final PeerDirectory directory = new PeerDirectory();
    private final Map<Long, Node> nodes = new HashMap<>();

    /** One server's transport, what it delivered, and its meters. */
    private record Node(long id, GrpcRaftTransport transport, RecordingInbound inbound, SimpleMeterRegistry registry,
                        SnapshotStore store) {
        double counter(String name) {
            return registry.get(name).counter().count();
        }

        PeerStatus status(long peer) {
            return transport.peerStatuses().stream().filter(s -> s.serverId() == peer).findFirst().orElseThrow();
        }
    }

    private GrpcTransportConfig.Builder config(long id) {
        return GrpcTransportConfig.builder().reconnectBackoffMillis(20, 200);
    }

    private Node start(long id) {
        return start(id, config(id));
    }

    private Node start(long id, GrpcTransportConfig.Builder config) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RecordingInbound inbound = new RecordingInbound();
        GrpcRaftTransport transport = new GrpcRaftTransport(config.build(), directory, registry);
        SnapshotStore store = SnapshotStore.open(dir.resolve("snapshots-" + id));
        transport.start(id, inbound, store);
        directory.put(id, new PeerAddress("127.0.0.1", transport.port()));
        Node node = new Node(id, transport, inbound, registry, store);
        nodes.put(id, node);
        return node;
    }

    private void stop(Node node) {
        nodes.remove(node.id());
        node.transport().close();
    }

    @AfterEach
    void closeAll() {
        nodes.values().forEach(n -> n.transport().close());
    }

    private static void awaitConnected(Node a, Node b) {
        Await.until(() -> "servers " + a.id() + " and " + b.id() + " connected",
                () -> a.status(b.id()).reachable() && b.status(a.id()).reachable());
    }

    private static GroupMessage append(long group, long from, long to, long index, String data) {
        return new GroupMessage(group, Message.builder(MessageType.APPEND).from(from).to(to).term(3).index(index - 1)
                .logTerm(3).commit(index - 1)
                .entries(List.of(Entry.normal(3, index, data.getBytes(StandardCharsets.UTF_8)))).build());
    }

    /** A snapshot of three files built in the sender's store. */
    private static Snapshot snapshot(Node sender, long group, int bytes) {
        try {
            SnapshotRef ref = SnapshotFixtures.build(sender.store(), group, 500, 3,
                    SnapshotFixtures.randomFiles(bytes, bytes));
            return new Snapshot(new SnapshotMetadata(500, 3, ConfState.ofVoters(1L, 2L, 3L)), ref.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static GroupMessage snapshotMessage(long group, long from, long to, Snapshot snapshot) {
        return new GroupMessage(group, Message.builder(MessageType.SNAPSHOT).from(from).to(to).term(3)
                .snapshot(snapshot).build());
    }

    private List<Path> partFiles(long id) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("snapshots-" + id).resolve("tmp"))) {
            return files.toList();
        }
    }

    @Test
    void messagesOfManyGroupsArriveInOrderPerDestinationOverOneStreamPerPair() {
        Node one = start(1);
        Node two = start(2);
        Node three = start(3);
        awaitConnected(one, two);
        awaitConnected(two, three);

        // Server 2 sends to a lower peer (over the stream server 1 dialed) and to a higher one
        // (over the stream it dialed itself); server 1 answers on the same stream.
        Map<Long, List<GroupMessage>> sent = new HashMap<>();
        for (long to : List.of(1L, 3L)) {
            sent.put(to, new ArrayList<>());
        }
        List<GroupMessage> sentBy1 = new ArrayList<>();
        for (int round = 1; round <= 100; round++) {
            for (long to : List.of(1L, 3L)) {
                List<GroupMessage> cycle = new ArrayList<>();
                for (long group = 1; group <= 50; group++) {
                    cycle.add(append(group, 2, to, round + 10, "r" + round + "g" + group));
                }
                two.transport().send(to, cycle);
                sent.get(to).addAll(cycle);
            }
            GroupMessage answer = append(round, 1, 2, round + 10, "back" + round);
            one.transport().send(2, List.of(answer));
            sentBy1.add(answer);
        }

        Await.until(() -> "5000 messages at server 1", () -> one.inbound().messagesFrom(2).size() == 5000);
        Await.until(() -> "5000 messages at server 3", () -> three.inbound().messagesFrom(2).size() == 5000);
        Await.until(() -> "100 answers at server 2", () -> two.inbound().messagesFrom(1).size() == 100);
        assertThat(one.inbound().messagesFrom(2)).isEqualTo(sent.get(1L));
        assertThat(three.inbound().messagesFrom(2)).isEqualTo(sent.get(3L));
        assertThat(two.inbound().messagesFrom(1)).isEqualTo(sentBy1);
        // Frames merge what is pending, so there are at most as many frames as send() calls.
        assertThat(one.counter("raft.transport.batches.received")).isBetween(1.0, 100.0);
        assertThat(two.counter("raft.transport.messages.sent")).isEqualTo(10_000);
        assertThat(two.counter("raft.transport.bytes.sent")).isPositive();
        assertThat(one.status(2).dialer()).isTrue();
        assertThat(two.status(1).dialer()).isFalse();
    }

    @Test
    void heartbeatsOfAThousandGroupsTravelAsOneFrameOfCompactEntries() {
        Node a = start(1);
        Node b = start(2);
        awaitConnected(a, b);

        List<GroupMessage> heartbeats = new ArrayList<>();
        for (long group = 1; group <= 1000; group++) {
            heartbeats.add(new GroupMessage(group, Message.builder(MessageType.HEARTBEAT).from(1).to(2).term(4)
                    .commit(group * 3).index(77).build()));
        }
        a.transport().send(2, heartbeats);

        Await.until(() -> "the heartbeats at server 2", () -> !b.inbound().deliveries().isEmpty());
        assertThat(b.inbound().deliveries()).singleElement().satisfies(d -> {
            assertThat(d.fromServer()).isEqualTo(1);
            assertThat(d.messages()).isEqualTo(heartbeats);
        });
        assertThat(a.counter("raft.transport.batches.sent")).isEqualTo(1);
        assertThat(a.counter("raft.transport.heartbeats.coalesced.sent")).isEqualTo(1000);
        assertThat(b.counter("raft.transport.batches.received")).isEqualTo(1);
        assertThat(b.counter("raft.transport.heartbeats.coalesced.received")).isEqualTo(1000);
        // A thousand compact entries are a few bytes each, not a thousand full messages.
        assertThat(a.counter("raft.transport.bytes.sent")).isLessThan(20_000);

        // The answers are coalesced the same way; one with a read request stays a full message.
        List<GroupMessage> answers = new ArrayList<>();
        for (long group = 1; group <= 1000; group++) {
            answers.add(new GroupMessage(group, Message.builder(MessageType.HEARTBEAT_RESPONSE).from(2).to(1).term(4)
                    .index(77).readRequestId(group == 500 ? 9 : 0).build()));
        }
        b.transport().send(1, answers);

        Await.until(() -> "the answers at server 1", () -> !a.inbound().deliveries().isEmpty());
        assertThat(a.inbound().deliveries()).singleElement().satisfies(d ->
                assertThat(d.messages()).containsExactlyInAnyOrderElementsOf(answers));
        assertThat(a.counter("raft.transport.heartbeats.coalesced.received")).isEqualTo(999);
        assertThat(a.counter("raft.transport.messages.received")).isEqualTo(1000);
    }

    @Test
    void aMultiMebibyteSnapshotArrivesIntactInChunks() throws IOException {
        Node a = start(1);
        Node b = start(2);
        Snapshot snapshot = snapshot(b, 7, 5 * (1 << 20) + 12_345);

        b.transport().send(1, List.of(snapshotMessage(7, 2, 1, snapshot), append(8, 2, 1, 5, "after")));

        Await.until(() -> "the snapshot's outcome at server 2", () -> !b.inbound().snapshotStatuses().isEmpty());
        assertThat(b.inbound().snapshotStatuses()).containsExactly(new RecordingInbound.SnapshotStatus(7, 1, true));
        Await.until(() -> "the append at server 1", () -> a.inbound().messagesFrom(2).size() == 2);
        GroupMessage got = a.inbound().messagesFrom(2).stream()
                .filter(gm -> gm.message().type() == MessageType.SNAPSHOT).findFirst().orElseThrow();
        assertThat(got.groupId()).isEqualTo(7);
        assertThat(got.message().from()).isEqualTo(2);
        assertThat(got.message().to()).isEqualTo(1);
        assertThat(got.message().term()).isEqualTo(3);
        assertThat(got.message().snapshot().metadata()).isEqualTo(snapshot.metadata());
        SnapshotRef sent = SnapshotStore.parseRef(snapshot.data());
        SnapshotRef arrived = SnapshotStore.parseRef(got.message().snapshot().data());
        assertThat(arrived.getManifest()).isEqualTo(sent.getManifest());
        assertThat(SnapshotFixtures.contents(a.store(), arrived))
                .containsExactlyEntriesOf(SnapshotFixtures.contents(b.store(), sent));
        assertThat(b.counter("raft.transport.snapshot.chunks.sent")).isEqualTo(6);
        assertThat(a.counter("raft.transport.snapshot.chunks.received")).isEqualTo(6);
        assertThat(a.counter("raft.transport.snapshot.bytes.received")).isEqualTo(5 * (1 << 20) + 12_345);
        assertThat(partFiles(1)).isEmpty();
    }

    @Test
    void aCorruptedChunkIsRejectedAndReportedAsFailure() throws IOException {
        Node a = start(1);
        Node b = start(2);
        UnaryOperator<io.shardkv.raft.proto.SnapshotChunk> flipAByteOfTheSecondChunk = chunk -> {
            if (chunk.getOffset() != 1 << 20) {
                return chunk;
            }
            byte[] data = chunk.getData().toByteArray();
            data[1000] ^= 0x01;
            return chunk.toBuilder().setData(com.google.protobuf.ByteString.copyFrom(data)).build();
        };
        b.transport().setSnapshotChunkFilter(flipAByteOfTheSecondChunk);

        b.transport().send(1, List.of(snapshotMessage(7, 2, 1, snapshot(b, 7, 3 * (1 << 20)))));

        Await.until(() -> "the snapshot's outcome at server 2", () -> !b.inbound().snapshotStatuses().isEmpty());
        assertThat(b.inbound().snapshotStatuses()).containsExactly(new RecordingInbound.SnapshotStatus(7, 1, false));
        assertThat(a.inbound().deliveries()).isEmpty();
        assertThat(a.registry().get("raft.transport.snapshots.failed").tag("direction", "received").counter().count())
                .isEqualTo(1);
        assertThat(b.registry().get("raft.transport.snapshots.failed").tag("direction", "sent").counter().count())
                .isEqualTo(1);
        assertThat(partFiles(1)).isEmpty();

        // The next transfer, undamaged, goes through.
        b.transport().setSnapshotChunkFilter(UnaryOperator.identity());
        b.transport().send(1, List.of(snapshotMessage(7, 2, 1, snapshot(b, 7, 3 * (1 << 20)))));
        Await.until(() -> "a second outcome", () -> b.inbound().snapshotStatuses().size() == 2);
        assertThat(b.inbound().snapshotStatuses().get(1).success()).isTrue();
    }

    @Test
    void snapshotsBeyondTheConcurrencyBoundWaitTheirTurn() {
        start(1);
        Node b = start(2, config(2).snapshotSends(1, 8).snapshotChunkBytes(256 * 1024));
        List<GroupMessage> three = List.of(snapshotMessage(1, 2, 1, snapshot(b, 1, 1 << 20)),
                snapshotMessage(2, 2, 1, snapshot(b, 2, 1 << 20)), snapshotMessage(3, 2, 1, snapshot(b, 3, 1 << 20)));

        b.transport().send(1, three);

        Await.until(() -> "three outcomes", () -> b.inbound().snapshotStatuses().size() == 3);
        assertThat(b.inbound().snapshotStatuses()).extracting(RecordingInbound.SnapshotStatus::success)
                .containsOnly(true);
        assertThat(nodes.get(1L).inbound().messagesFrom(2)).extracting(GroupMessage::groupId)
                .containsExactly(1L, 2L, 3L);
    }

    @Test
    void aStoppedPeerIsReportedUnreachableAndTrafficResumesWhenItReturnsOnTheSamePort() {
        Node one = start(1);
        Node two = start(2);
        awaitConnected(one, two);
        int portOfTwo = two.transport().port();
        int portOfOne = one.transport().port();

        // The accepting side goes away: the dialer reports it and keeps redialing.
        stop(two);
        Await.until(() -> "server 1 reports server 2 unreachable", () -> one.inbound().unreachable().contains(2L));
        assertThat(one.status(2).reachable()).isFalse();
        Await.until(() -> "redial attempts", () -> one.status(2).reconnectAttempts() >= 2);
        Node twoAgain = start(2, config(2).port(portOfTwo));
        awaitConnected(one, twoAgain);
        assertThat(one.status(2).reconnectAttempts()).isZero();
        one.transport().send(2, List.of(append(1, 1, 2, 5, "to-two")));
        twoAgain.transport().send(1, List.of(append(1, 2, 1, 5, "to-one")));
        Await.until(() -> "traffic resumed both ways", () -> twoAgain.inbound().messagesFrom(1).size() == 1
                && one.inbound().messagesFrom(2).size() == 1);
        assertThat(one.counter("raft.transport.reconnects")).isGreaterThanOrEqualTo(2);

        // The dialing side goes away: the accepting side reports it and waits for the redial.
        stop(one);
        Await.until(() -> "server 2 reports server 1 unreachable", () -> twoAgain.inbound().unreachable().contains(1L));
        assertThat(twoAgain.status(1).reachable()).isFalse();
        Node oneAgain = start(1, config(1).port(portOfOne));
        awaitConnected(oneAgain, twoAgain);
        twoAgain.transport().send(1, List.of(append(2, 2, 1, 6, "again")));
        Await.until(() -> "traffic after the dialer's restart", () -> oneAgain.inbound().messagesFrom(2).size() == 1);
    }

    @Test
    void sendNeverBlocksWhenThePeerIsDown() throws IOException {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        directory.put(2, new PeerAddress("127.0.0.1", deadPort));
        Node one = start(1, config(1).maxQueued(100, 1 << 20));

        long startNanos = System.nanoTime();
        for (int cycle = 0; cycle < 10_000; cycle++) {
            List<GroupMessage> messages = new ArrayList<>();
            for (long group = 1; group <= 10; group++) {
                messages.add(append(group, 1, 2, cycle + 2, "x"));
            }
            one.transport().send(2, messages);
        }
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;

        // 100,000 messages in well under the time one connect attempt could take if send blocked.
        assertThat(elapsedMillis).isLessThan(10_000);
        PeerStatus status = one.status(2);
        assertThat(status.queuedMessages()).isLessThanOrEqualTo(100);
        assertThat(status.droppedMessages()).isGreaterThanOrEqualTo(100_000 - 100);
        assertThat(one.registry().get("raft.transport.messages.dropped").tag("reason", "queue_full").counter().count())
                .isGreaterThanOrEqualTo(100_000 - 100);
        Await.until(() -> "server 2 reported unreachable", () -> one.inbound().unreachable().contains(2L));
        assertThat(one.status(2).reachable()).isFalse();

        // A snapshot to the dead peer fails instead of waiting forever.
        one.transport().send(2, List.of(snapshotMessage(4, 1, 2, snapshot(one, 4, 1000))));
        Await.until(() -> "the snapshot failed", () -> !one.inbound().snapshotStatuses().isEmpty());
        assertThat(one.inbound().snapshotStatuses()).containsExactly(new RecordingInbound.SnapshotStatus(4, 2, false));
    }

    @Test
    void messagesForAServerMissingFromTheDirectoryAreDropped() {
        Node one = start(1);
        one.transport().send(9, List.of(append(1, 1, 9, 5, "lost"), snapshotMessage(2, 1, 9, snapshot(one, 2, 10))));

        assertThat(one.inbound().snapshotStatuses()).containsExactly(new RecordingInbound.SnapshotStatus(2, 9, false));
        assertThat(one.registry().get("raft.transport.messages.dropped").tag("reason", "unknown_peer").counter()
                .count()).isEqualTo(1);
    }
}

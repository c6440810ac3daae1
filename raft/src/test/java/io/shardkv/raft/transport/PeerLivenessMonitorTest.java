package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The failure detector on a fake clock: which peers get a ping and which streams end, for a far
 * end that keeps talking, one that goes silent, and a check that itself ran late.
 */
class PeerLivenessMonitorTest {

    private static final long PING_MILLIS = 100;
    private static final long SILENCE_MILLIS = 1_000;
    private static final long T0 = 1_000_000_000L;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TransportMetrics metrics = new TransportMetrics(registry, () -> 0);
    /** Closed at once: no flush is ever handed to its pool. */
    private final BatchSender idleSender = new BatchSender(1, 1, new BatchCodec(1, 1 << 20), 1 << 20, metrics);
    private final List<PeerConnection> connections = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private final PeerLivenessMonitor monitor =
            new PeerLivenessMonitor(connections, PING_MILLIS, SILENCE_MILLIS, metrics);

    PeerLivenessMonitorTest() {
        idleSender.close();
    }

    @AfterEach
    void close() {
        idleSender.close();
    }

    private static long at(long millis) {
        return T0 + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** A peer connection with an attached stream, last heard from and written to at {@code T0}. */
    private PeerConnection connected(long peer) {
        PeerConnection c = new PeerConnection(1, peer, new OutboundQueue(16, 1 << 20), idleSender, metrics);
        // Never ready (its peer takes no frames): the flush a ping request starts writes nothing,
        // so the request stays visible to the test.
        FrameStream stream = new FrameStream(new RecordingCall(false), "1 <-> " + peer, (s, cause) -> {
            failures.add(cause);
            c.detach(s);
        });
        c.attach(stream);
        c.heard(T0);
        c.sent(T0);
        c.takePingRequest();
        connections.add(c);
        return c;
    }

    @Test
    void aPeerThatKeepsSendingIsNeverCutOff() {
        PeerConnection c = connected(2);
        for (long t = 50; t <= 10_000; t += 50) {
            c.heard(at(t - 10));
            monitor.check(at(t));
        }
        assertThat(failures).isEmpty();
        assertThat(c.stream()).isNotNull();
    }

    @Test
    void aPeerSilentForTheTimeoutHasItsStreamEnded() {
        PeerConnection dialed = connected(2);
        PeerConnection talking = connected(3);
        for (long t = 50; t < SILENCE_MILLIS; t += 50) {
            talking.heard(at(t));
            monitor.check(at(t));
        }
        assertThat(failures).isEmpty();

        talking.heard(at(SILENCE_MILLIS));
        monitor.check(at(SILENCE_MILLIS));

        assertThat(failures).hasSize(1);
        assertThat(Status.fromThrowable(failures.get(0)).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(Status.fromThrowable(failures.get(0)).getDescription())
                .isEqualTo("no frame from server 2 for 1000 ms");
        assertThat(dialed.stream()).isNull();
        assertThat(dialed.isReachable()).isFalse();
        assertThat(talking.stream()).isNotNull();
        assertThat(registry.get("raft.transport.peers.silent").counter().count()).isEqualTo(1);
    }

    @Test
    void aPingIsAskedForOnlyAfterThisSideWasQuietForTheInterval() {
        PeerConnection c = connected(2);
        monitor.check(at(PING_MILLIS - 1));
        assertThat(c.takePingRequest()).isFalse();

        monitor.check(at(PING_MILLIS));
        assertThat(c.takePingRequest()).isTrue();

        c.sent(at(PING_MILLIS + 10));
        monitor.check(at(PING_MILLIS + 50));
        assertThat(c.takePingRequest()).as("a frame went out 40 ms ago").isFalse();
    }

    @Test
    void aLateCheckRestartsSilenceClocksInsteadOfJudging() {
        // This process was paused for 5 s: the peer's frames are waiting unread in the socket.
        PeerConnection c = connected(2);
        monitor.check(at(50));
        monitor.check(at(5_050));
        assertThat(failures).isEmpty();
        assertThat(c.lastHeardNanos()).isEqualTo(at(5_050));

        // If the peer really is gone, the next on-time checks find it a silence period later.
        for (long t = 5_100; t < 6_050; t += 50) {
            monitor.check(at(t));
        }
        assertThat(failures).isEmpty();
        monitor.check(at(6_050));
        assertThat(failures).hasSize(1);
    }

    @Test
    void connectionsWithoutAStreamAreLeftAlone() {
        PeerConnection c = connected(2);
        c.closeStream(Status.UNAVAILABLE.withDescription("gone"));
        failures.clear();

        monitor.check(at(50));
        monitor.check(at(SILENCE_MILLIS * 3));
        assertThat(failures).isEmpty();
        assertThat(c.takePingRequest()).isFalse();
    }
}

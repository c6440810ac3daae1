package io.shardkv.raft.transport;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.proto.RaftTransportGrpc;
import io.shardkv.raft.proto.SnapshotChunk;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The Raft transport over gRPC: a server for the {@code RaftTransport} service on a configured
 * address, and clients to the peers a {@link PeerDirectory} names.
 *
 * <h2>One stream per pair of servers</h2>
 * Of two servers, the one with the LOWER id dials the other and opens one bidirectional
 * {@code Stream} call; it greets with an empty batch naming both ends, the peer answers with
 * one, and from then on both send their batches on that call. So a pair shares one stream and
 * one connection whichever side has traffic, and the rule needs no negotiation. The dialing
 * side redials with bounded exponential backoff after any failure; the accepting side waits
 * for the redial, and a newer stream from the same peer replaces an older one.
 *
 * <h2>Sending</h2>
 * {@link #send} never blocks: it puts the messages in the destination's bounded queue
 * (dropping the oldest when full) and asks the shared sender pool for a flush, which merges
 * everything pending into one {@code RaftMessageBatch}. Plain heartbeats and their answers
 * travel as compact entries of the batch ({@link HeartbeatCoalescer}). Snapshots go through the
 * {@code SendSnapshot} RPC in checksummed chunks, a bounded number at a time
 * ({@link SnapshotSender}, {@link SnapshotReceiver}).
 *
 * <h2>Failures</h2>
 * Both ends of a stream watch it ({@link PeerLivenessMonitor}): each pings a peer it has been
 * quiet towards, and ends the stream of a peer that has sent nothing for the silence timeout, so
 * a frozen peer is noticed as fast as a dead one, whichever side dialed.
 * A failed dial or a broken stream is reported through {@link Inbound#onUnreachable}, and what
 * was queued for that peer is dropped (leaders resend from what they know). Each peer's
 * reachability is kept for status pages ({@link #peerStatuses()}).
 */
public final class GrpcRaftTransport implements RaftTransport {
    private static final System.Logger LOG = System.getLogger(GrpcRaftTransport.class.getName());
    private static final long TERMINATION_WAIT_MILLIS = 5_000;

    private final GrpcTransportConfig config;
    private final TransportSecurity security;
    private final PeerDirectory directory;
    private final TransportMetrics metrics;
    private final PeerDirectory.Listener directoryListener = this::onPeerChanged;
    private final Map<Long, PeerConnection> connections = new ConcurrentHashMap<>();
    private final Map<Long, StreamDialer> dialers = new ConcurrentHashMap<>();
    /** Destinations already logged as missing from the directory, so the log says it once. */
    private final Set<Long> warnedUnknown = ConcurrentHashMap.newKeySet();
    private final Instant createdAt = Instant.now();

    // Set once by start().
    private long localServer;
    private GuardedInbound inbound;
    private BatchCodec codec;
    private FrameReceiver receiver;
    private BatchSender sender;
    private SnapshotSender snapshots;
    private PeerChannels channels;
    private ExecutorService serviceExecutor;
    private ScheduledExecutorService timer;
    private Server server;
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * @param directory where peers listen; the transport follows its changes from start to close
     * @param registry  receives the transport's meters ({@code raft.transport.*})
     */
    public GrpcRaftTransport(GrpcTransportConfig config, PeerDirectory directory, MeterRegistry registry) {
        this(config, directory, registry, TransportSecurity.INSECURE);
    }

    /**
     * @param security how peers prove who they are (TLS certificates naming server ids), or
     *     {@link TransportSecurity#INSECURE}
     */
    public GrpcRaftTransport(GrpcTransportConfig config, PeerDirectory directory, MeterRegistry registry,
                             TransportSecurity security) {
        this.security = security;
        this.config = config;
        this.directory = directory;
        this.metrics = new TransportMetrics(registry, this::unreachablePeerCount);
    }

    /**
     * Binds the server, then dials every higher-id peer in the directory.
     *
     * @throws UncheckedIOException if the address cannot be bound
     */
    @Override
    public synchronized void start(long localServer, Inbound in, SnapshotStore snapshotStore) {
        if (started || closed) {
            throw new IllegalStateException("transport of server " + localServer + " was already started");
        }
        if (localServer <= 0) {
            throw new IllegalArgumentException("server ids start at 1, got " + localServer);
        }
        this.localServer = localServer;
        this.inbound = new GuardedInbound(in);
        codec = new BatchCodec(localServer, config.maxFrameBytes() - GrpcTransportConfig.FRAME_OVERHEAD_BYTES);
        receiver = new FrameReceiver(localServer, inbound, metrics);
        serviceExecutor = Executors.newFixedThreadPool(config.serviceThreads(),
                daemonThreads("raft-grpc-" + localServer));
        timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("raft-transport-timer-" + localServer));
        sender = new BatchSender(localServer, config.senderThreads(), codec, config.maxBatchBytes(), metrics);
        channels = new PeerChannels(directory, config, security, serviceExecutor);
        snapshots = new SnapshotSender(localServer, config, channels, snapshotStore, metrics, inbound::onSnapshotStatus);
        GrpcRaftService service = new GrpcRaftService(localServer, new Acceptor(), codec, receiver, config, inbound,
                snapshotStore, metrics, security);
        try {
            server = security.enforce(NettyServerBuilder
                    .forAddress(new InetSocketAddress(config.host(), config.port()), security.serverCredentials()))
                    .executor(serviceExecutor)
                    // A frame is decoded and queued into mailboxes, which never blocks: it is
                    // handled on the network thread that read it, not handed to another thread
                    // (a wake-up per frame). Snapshot chunks write files, on serviceExecutor.
                    .callExecutor(NonBlockingCalls.ofMethod(RaftTransportGrpc.getStreamMethod()))
                    .addService(service)
                    .maxInboundMessageSize(config.maxFrameBytes())
                    // Peers ping as often as their keep-alive says; do not punish them for it.
                    .permitKeepAliveTime(Math.max(1, config.keepAliveMillis() / 2), TimeUnit.MILLISECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .build()
                    .start();
        } catch (IOException e) {
            snapshots.close();
            sender.close();
            channels.close();
            closeExecutors();
            throw new UncheckedIOException("server " + localServer + " cannot listen on " + config.host() + ":"
                    + config.port(), e);
        }
        PeerLivenessMonitor liveness = new PeerLivenessMonitor(connections.values(), config.pingIntervalMillis(),
                config.peerSilenceMillis(), metrics);
        long checkEvery = Math.max(1, config.pingIntervalMillis() / 2);
        timer.scheduleWithFixedDelay(() -> liveness.check(System.nanoTime()), checkEvery, checkEvery,
                TimeUnit.MILLISECONDS);
        started = true;
        LOG.log(System.Logger.Level.INFO, "server " + localServer + ": raft transport listening on " + config.host()
                + ":" + port());
        directory.addListener(directoryListener);
        directory.snapshot().forEach((id, address) -> onPeerChanged(id, Optional.of(address)));
    }

    /** The port the server is bound to (the chosen one when configured with 0). */
    public int port() {
        if (!started) {
            throw new IllegalStateException("transport not started");
        }
        return server.getPort();
    }

    /**
     * Queues one poller cycle's messages for {@code toServer}; never blocks. Messages for a
     * server that is neither in the directory nor connected are dropped (and its snapshots
     * reported failed).
     */
    @Override
    public void send(long toServer, List<GroupMessage> messages) {
        if (!started) {
            throw new IllegalStateException("transport not started");
        }
        if (toServer == localServer) {
            throw new IllegalArgumentException("server " + localServer + " sending to itself: " + messages);
        }
        if (closed || messages.isEmpty()) {
            return;
        }
        // A lower-id peer that dialed in is reachable even before the directory names it.
        if (directory.lookup(toServer).isEmpty() && !connections.containsKey(toServer)) {
            dropForUnknownPeer(toServer, messages);
            return;
        }
        List<GroupMessage> plain = messages;
        for (GroupMessage gm : messages) {
            if (gm.message().type() == MessageType.SNAPSHOT) {
                plain = new ArrayList<>(messages.size());
                for (GroupMessage m : messages) {
                    if (m.message().type() == MessageType.SNAPSHOT) {
                        snapshots.submit(m.groupId(), m.message());
                    } else {
                        plain.add(m);
                    }
                }
                break;
            }
        }
        if (!plain.isEmpty()) {
            connection(toServer).enqueue(plain);
        }
    }

    private void dropForUnknownPeer(long toServer, List<GroupMessage> messages) {
        if (warnedUnknown.add(toServer)) {
            LOG.log(System.Logger.Level.WARNING, "server " + localServer + " has no address for server " + toServer
                    + "; dropping its messages until the directory names it");
        }
        int plain = 0;
        for (GroupMessage gm : messages) {
            if (gm.message().type() == MessageType.SNAPSHOT) {
                metrics.snapshotSendFailed();
                inbound.onSnapshotStatus(gm.groupId(), toServer, false);
            } else {
                plain++;
            }
        }
        metrics.dropped(TransportMetrics.DropReason.UNKNOWN_PEER, plain);
    }

    /** What this transport knows of each peer (directory entries and connected peers), by id. */
    public List<PeerStatus> peerStatuses() {
        Set<Long> ids = new TreeSet<>(directory.snapshot().keySet());
        ids.addAll(connections.keySet());
        ids.remove(localServer);
        List<PeerStatus> out = new ArrayList<>(ids.size());
        for (long id : ids) {
            Optional<PeerAddress> address = directory.lookup(id);
            PeerConnection c = connections.get(id);
            out.add(c != null ? c.status(address)
                    : new PeerStatus(id, address, localServer < id, false, createdAt, 0, 0, 0));
        }
        return out;
    }

    /** The directory this transport follows. */
    public PeerDirectory directory() {
        return directory;
    }

    /** Test hook: alters snapshot chunks on their way out. */
    void setSnapshotChunkFilter(UnaryOperator<SnapshotChunk> filter) {
        snapshots.setChunkFilter(filter);
    }

    private PeerConnection connection(long peer) {
        return connections.computeIfAbsent(peer, id -> {
            PeerConnection c = new PeerConnection(localServer, id,
                    new OutboundQueue(config.maxQueuedMessages(), config.maxQueuedBytes()), sender, metrics);
            metrics.watchPeer(c);
            return c;
        });
    }

    /** Follows the directory: dial a new or moved higher-id peer; forget a peer that left. */
    private void onPeerChanged(long serverId, Optional<PeerAddress> address) {
        if (closed || serverId == localServer) {
            return;
        }
        // Whatever the change, a channel to the old address is useless now.
        channels.forget(serverId);
        if (address.isEmpty()) {
            StreamDialer dialer = dialers.remove(serverId);
            if (dialer != null) {
                dialer.close();
            }
            PeerConnection c = connections.remove(serverId);
            metrics.forgetPeer(serverId);
            if (c != null) {
                c.closeStream(Status.UNAVAILABLE.withDescription("server " + serverId + " left the directory"));
                c.drop(TransportMetrics.DropReason.UNKNOWN_PEER, c.queue().clear());
            }
            return;
        }
        warnedUnknown.remove(serverId);
        if (localServer < serverId) {
            dialers.computeIfAbsent(serverId, id -> new StreamDialer(localServer, id, connection(id), channels, codec,
                    receiver, config.reconnectBackoff(), timer, inbound::onUnreachable, metrics)).redialNow();
        }
    }

    private int unreachablePeerCount() {
        int n = 0;
        for (PeerStatus s : started ? peerStatuses() : List.<PeerStatus>of()) {
            if (!s.reachable()) {
                n++;
            }
        }
        return n;
    }

    /** Closes streams, channels and the server, and stops the transport's threads. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        directory.removeListener(directoryListener);
        if (!started) {
            return;
        }
        dialers.values().forEach(StreamDialer::close);
        Status shuttingDown = Status.UNAVAILABLE.withDescription("server " + localServer + " is shutting down");
        connections.values().forEach(c -> c.closeStream(shuttingDown));
        server.shutdownNow();
        snapshots.close();
        sender.close();
        channels.close();
        try {
            if (!server.awaitTermination(TERMINATION_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "server " + localServer + ": gRPC server did not terminate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeExecutors();
        LOG.log(System.Logger.Level.INFO, "server " + localServer + ": raft transport closed");
    }

    private void closeExecutors() {
        timer.shutdownNow();
        serviceExecutor.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger ids = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Accepts streams from lower-id peers on behalf of the service. */
    private final class Acceptor implements AcceptedStream.Acceptor {
        @Override
        public Optional<PeerConnection> accept(long peerServer) {
            return closed ? Optional.empty() : Optional.of(connection(peerServer));
        }

        @Override
        public boolean knows(long peerServer) {
            return directory.lookup(peerServer).isPresent();
        }

        @Override
        public void lost(PeerConnection connection, FrameStream stream, Throwable cause) {
            if (connection.detach(stream) && !closed) {
                LOG.log(System.Logger.Level.WARNING, "stream " + stream + " failed: " + StatusText.of(cause)
                        + "; waiting for server " + connection.peerServer() + " to redial");
                inbound.onUnreachable(connection.peerServer());
            }
        }
    }

    /** Passes callbacks to the runtime until the transport closes, and none after. */
    private final class GuardedInbound implements Inbound {
        private final Inbound delegate;

        GuardedInbound(Inbound delegate) {
            this.delegate = delegate;
        }

        @Override
        public void onMessages(long fromServer, List<GroupMessage> messages) {
            if (!closed) {
                delegate.onMessages(fromServer, messages);
            }
        }

        @Override
        public void onUnreachable(long server) {
            if (!closed) {
                delegate.onUnreachable(server);
            }
        }

        @Override
        public void onSnapshotStatus(long groupId, long toServer, boolean success) {
            if (!closed) {
                delegate.onSnapshotStatus(groupId, toServer, success);
            }
        }
    }
}

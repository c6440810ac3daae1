package io.shardkv.ops;

import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.runtime.RuntimeConfig;
import io.shardkv.raft.storage.RetentionPolicy;
import io.shardkv.raft.storage.RocksLogEngineConfig;
import io.shardkv.raft.transport.GrpcTransportConfig;
import java.util.List;

/**
 * The Raft settings an operator of either server may tune, read in one place from the same
 * settings as everything else (file, {@code SHARDKV_*} environment, flags) and turned into the
 * runtime's, the log engine's and the transport's configs. Every default is the library's own.
 *
 * @param tickMillis               length of one Raft tick
 * @param peerSilenceMillis        a peer that sends nothing for this long is reported unreachable
 * @param pollerThreads            threads that drive groups and write their logs
 * @param applyThreads             threads that apply committed entries
 * @param mailboxCapacity          inputs queued per group before messages are dropped and requests refused
 * @param electionTicks            base election timeout in ticks (the real one is random in [e, 2e))
 * @param heartbeatTicks           ticks between a leader's heartbeats
 * @param maxInflightMsgs          appends in flight per follower
 * @param maxInflightBytes         append bytes in flight per follower
 * @param maxAppendBytes           payload of one append message
 * @param maxUncommittedBytes      bytes a leader accepts beyond its commit index
 * @param retainedEntries          log entries kept behind the durable applied index
 * @param retainedBytes            the most log kept behind the durable applied index, for followers too
 * @param entryCacheBytesPerGroup  entry cache of one group
 * @param entryCacheBytes          entry caches of all groups together
 * @param snapshotChunkBytes       data bytes per snapshot chunk
 * @param maxSnapshotBytes         largest snapshot accepted
 * @param snapshotTimeoutMillis    deadline of one whole snapshot transfer
 * @param snapshotSends            snapshots this server streams at once
 * @param snapshotReceives         snapshots this server accepts at once
 */
public record RaftTuning(long tickMillis, long peerSilenceMillis, int pollerThreads, int applyThreads,
                         int mailboxCapacity, int electionTicks, int heartbeatTicks, int maxInflightMsgs,
                         long maxInflightBytes, long maxAppendBytes, long maxUncommittedBytes, long retainedEntries,
                         long retainedBytes,
                         long entryCacheBytesPerGroup, long entryCacheBytes, int snapshotChunkBytes,
                         long maxSnapshotBytes, long snapshotTimeoutMillis, int snapshotSends,
                         int snapshotReceives) {

    private static final RuntimeConfig RUNTIME = RuntimeConfig.defaults(1);
    private static final RaftConfig CORE = RaftConfig.defaults(1);
    private static final RocksLogEngineConfig ENGINE = RocksLogEngineConfig.defaults();
    private static final GrpcTransportConfig TRANSPORT = GrpcTransportConfig.builder().build();

    /** The settings, named as in files and flags, each with the library's default. */
    public static final List<SettingKey> KEYS = List.of(
            key("tick-millis", RUNTIME.tickMillis(), "length of one raft tick (a heartbeat every heartbeat-ticks,"
                    + " an election after election-ticks to twice that)"),
            key("peer-silence-millis", TRANSPORT.peerSilenceMillis(), "a server that sends nothing on the raft"
                    + " transport for this long (pings go every sixth of it) is reported unreachable, and"
                    + " followers of the groups it leads elect new leaders"),
            key("poller-threads", RUNTIME.pollerThreads(), "threads that drive groups and write their logs"),
            key("apply-threads", RUNTIME.applyThreads(), "threads that apply committed entries"),
            key("mailbox-capacity", RUNTIME.mailboxCapacity(), "inputs queued per group; beyond it raft messages"
                    + " are dropped and requests refused with SERVER_BUSY"),
            key("election-ticks", CORE.electionTicks(), "base election timeout in ticks"),
            key("heartbeat-ticks", CORE.heartbeatTicks(), "ticks between a leader's heartbeats (below"
                    + " election-ticks)"),
            key("max-inflight-msgs", CORE.maxInflightMsgs(), "append messages in flight per follower"),
            key("max-inflight-bytes", CORE.maxInflightBytes(), "append bytes in flight per follower"),
            key("max-append-bytes", CORE.maxSizePerMsgBytes(), "payload of one append message (one entry at"
                    + " least)"),
            key("max-uncommitted-bytes", CORE.maxUncommittedBytes(), "bytes a leader accepts beyond its commit"
                    + " index before refusing proposals with SERVER_BUSY"),
            key("log-retained-entries", RetentionPolicy.defaults().retainedEntries(), "log entries kept behind"
                    + " the durable applied index, so a follower that fell behind catches up without a snapshot"),
            key("log-retained-bytes", RetentionPolicy.defaults().maxRetainedBytes(), "the most log kept behind"
                    + " the durable applied index, what followers still need included (a follower further behind"
                    + " gets a snapshot)"),
            key("entry-cache-bytes-per-group", ENGINE.maxCacheBytesPerGroup(), "recent log entries cached per"
                    + " group"),
            key("entry-cache-bytes", ENGINE.maxCacheBytesTotal(), "recent log entries cached for all groups"),
            key("snapshot-chunk-bytes", TRANSPORT.snapshotChunkBytes(), "data bytes per snapshot chunk"),
            key("max-snapshot-bytes", TRANSPORT.maxSnapshotBytes(), "largest snapshot accepted from a leader"),
            key("snapshot-timeout-millis", TRANSPORT.snapshotTimeoutMillis(), "deadline of one whole snapshot"
                    + " transfer"),
            key("snapshot-sends", TRANSPORT.maxConcurrentSnapshotSends(), "snapshots this server streams at"
                    + " once; more wait"),
            key("snapshot-receives", TRANSPORT.maxConcurrentSnapshotReceives(), "snapshots this server accepts"
                    + " at once; more are refused and retried"));

    /**
     * These settings, after building every config from them once: the configs check each bound
     * and each relation between settings (heartbeat below election, a chunk within a frame, ...),
     * so a bad combination fails when the settings are read, not when a server is half started.
     *
     * @throws IllegalArgumentException saying what does not fit
     */
    public RaftTuning checked() {
        runtime(1);
        logEngine();
        transport(GrpcTransportConfig.builder()).build();
        return this;
    }

    private static SettingKey key(String name, long defaultValue, String doc) {
        return SettingKey.optional(name, Long.toString(defaultValue), doc);
    }

    /** The library's defaults. */
    public static RaftTuning defaults() {
        return new RaftTuning(RUNTIME.tickMillis(), TRANSPORT.peerSilenceMillis(), RUNTIME.pollerThreads(),
                RUNTIME.applyThreads(), RUNTIME.mailboxCapacity(), CORE.electionTicks(), CORE.heartbeatTicks(),
                CORE.maxInflightMsgs(), CORE.maxInflightBytes(), CORE.maxSizePerMsgBytes(), CORE.maxUncommittedBytes(),
                RetentionPolicy.defaults().retainedEntries(), RetentionPolicy.defaults().maxRetainedBytes(),
                ENGINE.maxCacheBytesPerGroup(),
                ENGINE.maxCacheBytesTotal(), TRANSPORT.snapshotChunkBytes(), TRANSPORT.maxSnapshotBytes(),
                TRANSPORT.snapshotTimeoutMillis(), TRANSPORT.maxConcurrentSnapshotSends(),
                TRANSPORT.maxConcurrentSnapshotReceives());
    }

    /**
     * Reads {@link #KEYS}.
     *
     * @throws SettingsException naming the first bad setting, or the relation two settings break
     */
    public static RaftTuning from(Settings s) {
        try {
            return new RaftTuning(s.longValue("tick-millis", 1, 10_000), s.longValue("peer-silence-millis", 60, 600_000),
                    s.intValue("poller-threads", 1, 64), s.intValue("apply-threads", 1, 64),
                    s.intValue("mailbox-capacity", 16, 1 << 20), s.intValue("election-ticks", 2, 10_000),
                    s.intValue("heartbeat-ticks", 1, 10_000), s.intValue("max-inflight-msgs", 1, 65_536),
                    s.longValue("max-inflight-bytes", 1, 1L << 40), s.longValue("max-append-bytes", 1, 1L << 30),
                    s.longValue("max-uncommitted-bytes", 1, 1L << 40),
                    s.longValue("log-retained-entries", 0, 1L << 40),
                    s.longValue("log-retained-bytes", 0, 1L << 50),
                    s.longValue("entry-cache-bytes-per-group", 0, 1L << 40),
                    s.longValue("entry-cache-bytes", 0, 1L << 40),
                    s.intValue("snapshot-chunk-bytes", 1024, 64 << 20), s.longValue("max-snapshot-bytes", 1, 1L << 40),
                    s.longValue("snapshot-timeout-millis", 1_000, 86_400_000L), s.intValue("snapshot-sends", 1, 64),
                    s.intValue("snapshot-receives", 1, 64)).checked();
        } catch (IllegalArgumentException e) {
            throw new SettingsException("raft settings do not fit together: " + e.getMessage(), e);
        }
    }

    /** These settings with another tick (tests run with short ticks). */
    public RaftTuning withTickMillis(long newTickMillis) {
        return new RaftTuning(newTickMillis, peerSilenceMillis, pollerThreads, applyThreads, mailboxCapacity,
                electionTicks, heartbeatTicks, maxInflightMsgs, maxInflightBytes, maxAppendBytes, maxUncommittedBytes,
                retainedEntries, retainedBytes, entryCacheBytesPerGroup, entryCacheBytes, snapshotChunkBytes,
                maxSnapshotBytes,
                snapshotTimeoutMillis, snapshotSends, snapshotReceives).checked();
    }

    /** The multi-raft runtime's config for server {@code serverId}. */
    public RuntimeConfig runtime(long serverId) {
        RuntimeConfig defaults = RuntimeConfig.defaults(serverId);
        RaftConfig core = RaftConfig.defaults(serverId).withTicks(electionTicks, heartbeatTicks)
                .withLimits(maxAppendBytes, maxInflightMsgs, maxInflightBytes, maxUncommittedBytes);
        RetentionPolicy retention = new RetentionPolicy(retainedEntries,
                Math.min(RetentionPolicy.defaults().minCompactionEntries(), Math.max(1, retainedEntries)), retainedBytes);
        return new RuntimeConfig(serverId, tickMillis, pollerThreads, applyThreads, defaults.maxGroupsPerCycle(),
                mailboxCapacity, defaults.maxInputsPerCycle(), core, retention);
    }

    /** The shared log engine's config. */
    public RocksLogEngineConfig logEngine() {
        return RocksLogEngineConfig.defaults().withCacheBytes(entryCacheBytesPerGroup, entryCacheBytes);
    }

    /** Applies the transport settings to {@code builder} and returns it. */
    public GrpcTransportConfig.Builder transport(GrpcTransportConfig.Builder builder) {
        return builder.peerSilenceMillis(peerSilenceMillis).snapshotChunkBytes(snapshotChunkBytes)
                .maxSnapshotBytes(maxSnapshotBytes).snapshotTimeoutMillis(snapshotTimeoutMillis)
                .snapshotSends(snapshotSends, TRANSPORT.maxQueuedSnapshotSends())
                .maxConcurrentSnapshotReceives(snapshotReceives);
    }
}

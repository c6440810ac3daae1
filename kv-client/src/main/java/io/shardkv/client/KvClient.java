package io.shardkv.client;

import com.google.protobuf.ByteString;
import io.shardkv.common.Backoff;
import io.shardkv.common.Limits;
import io.shardkv.common.Slots;
import io.shardkv.kv.proto.ClientOperationRequest;
import io.shardkv.kv.proto.ClientOperationResponse;
import io.shardkv.kv.proto.DeleteRequest;
import io.shardkv.kv.proto.DeleteResponse;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GetRequest;
import io.shardkv.kv.proto.GetResponse;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.OpResult;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.proto.PutRequest;
import io.shardkv.kv.proto.PutResponse;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.kv.proto.ScanRequest;
import io.shardkv.kv.proto.ScanResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import io.shardkv.security.ClientSecurity;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The ShardKV client (DESIGN 6). Built from the meta-server endpoints; caches the cluster
 * map and the groups' leaders; sends each key to the leader of the group owning its slot;
 * follows NOT_LEADER hints, refreshes the map on WRONG_GROUP, and retries transient errors
 * with backoff, all within the request deadline (see {@link KvRequest} for the table).
 *
 * <p>Writes are exactly-once: the client has a random 64-bit id and numbers its writes; a
 * retried write keeps its number, so the group applies it once. Failures are
 * {@link KvException}s ({@link KvTimeoutException} when the deadline ran out).
 *
 * <p>Thread-safe; one instance is meant to be shared. Threads: one timer for backoffs, one
 * for meta-server calls, and gRPC's own; none per request. Close it to release them.
 */
public final class KvClient implements AutoCloseable {
    private final List<String> metaEndpoints;
    private final MetaCaller meta;
    private final MetaAdmin admin;
    private final ChannelPool channels;
    private final ScheduledExecutorService timer;
    private final ExecutorService metaExecutor;
    private final RequestContext context;
    private final WriteSequencer sequencer = WriteSequencer.withRandomId();
    /** Gathers single requests into batches; null when the builder turned that off. */
    private final RequestBatcher batcher;
    private volatile boolean closed;

    private KvClient(Builder builder) {
        this.metaEndpoints = builder.metaEndpoints;
        this.meta = new MetaCaller(builder.metaEndpoints, builder.security);
        this.channels = new ChannelPool(builder.security.forKvServers());
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("shardkv-client-timer"));
        this.metaExecutor = Executors.newSingleThreadExecutor(daemon("shardkv-client-meta"));
        LeaderHints hints = new LeaderHints();
        ClusterMapCache maps = new ClusterMapCache(meta, metaExecutor, hints);
        Backoff backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(1000),
                () -> ThreadLocalRandom.current().nextDouble());
        this.admin = new MetaAdmin(meta, builder.requestDeadline, false);
        this.context = new RequestContext(maps, hints, channels, timer, backoff, builder.requestDeadline,
                builder.attemptTimeout, ConcurrentHashMap.newKeySet(), new SlotRoutes());
        this.batcher = builder.requestsInFlightPerGroup == 0 ? null : new RequestBatcher(new RequestBatcher.Sink() {
            @Override
            public CompletableFuture<BatchResult> sendAlone(BatchOp op, long startNanos) {
                return KvClient.this.sendAlone(op, startNanos);
            }

            @Override
            public CompletableFuture<List<BatchResult>> sendBatch(List<BatchOp> ops, long startNanos) {
                return sendGathered(ops, startNanos);
            }
        }, builder.requestsInFlightPerGroup, Limits.MAX_BATCH_BYTES);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A {@link MetaAdmin} on this client's meta-servers and connections, with the request
     * deadline as its timeout. Closing the client closes it.
     */
    public MetaAdmin admin() {
        checkOpen();
        return admin;
    }

    /** This client's id in write sessions. */
    public long clientId() {
        return sequencer.clientId();
    }

    public List<String> metaEndpoints() {
        return metaEndpoints;
    }

    public Duration requestDeadline() {
        return context.requestDeadline();
    }

    // ---- Blocking API.

    /** Stores {@code value} under {@code key}. */
    public void put(byte[] key, byte[] value) {
        join(putAsync(key, value));
    }

    public void put(String key, String value) {
        put(utf8(key), utf8(value));
    }

    /** The value of {@code key}, read linearizably; empty when absent. */
    public Optional<byte[]> get(byte[] key) {
        return get(key, ReadConsistency.LINEARIZABLE);
    }

    public Optional<byte[]> get(byte[] key, ReadConsistency consistency) {
        return join(getAsync(key, consistency));
    }

    public Optional<String> get(String key) {
        return get(utf8(key)).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    public Optional<String> get(String key, ReadConsistency consistency) {
        return get(utf8(key), consistency).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    /** Deletes {@code key}; true if it existed. */
    public boolean delete(byte[] key) {
        return join(deleteAsync(key));
    }

    public boolean delete(String key) {
        return delete(utf8(key));
    }

    /** Keys in [start, end) in byte order, across all groups; an empty end means no bound. */
    public Iterator<KvPair> scan(byte[] start, byte[] end) {
        return scan(ScanOptions.range(start, end));
    }

    public Iterator<KvPair> scan(String start, String end) {
        return scan(utf8(start), utf8(end));
    }

    /**
     * A lazy iterator over the pairs {@code options} selects, merged from all groups in key
     * order and fetched page by page; its methods throw {@link KvException}s. The groups are
     * those of the map when the scan starts; a scan is not a snapshot of the whole store.
     */
    public Iterator<KvPair> scan(ScanOptions options) {
        checkOpen();
        RoutingTable table = join(context.maps().current(context.requestDeadline()));
        Map<Long, List<Integer>> groups = new java.util.TreeMap<>();
        for (long group : table.groupsWithSlots()) {
            groups.put(group, table.slotsOf(group));
        }
        return new MergingScanIterator(groups,
                (group, slots, cursor, limit) -> scanPage(group, slots, options, cursor, limit),
                this::currentOwners, options.pageSize(), options.limit(), KvClient::join);
    }

    /** The owners of {@code slots} in a map newer than the one that gave them to {@code formerGroup}. */
    private Map<Long, List<Integer>> currentOwners(long formerGroup, List<Integer> slots) {
        RoutingTable table = join(context.maps().current(context.requestDeadline()));
        return table.owners(slots);
    }

    /** All pairs of a scan in a list; for small ranges. */
    public List<KvPair> scanAll(ScanOptions options) {
        List<KvPair> result = new ArrayList<>();
        scan(options).forEachRemaining(result::add);
        return result;
    }

    // ---- Async API: the futures complete exceptionally with the same exceptions.

    public CompletableFuture<Void> putAsync(byte[] key, byte[] value) {
        checkOpen();
        try {
            RequestChecks.checkKey(key);
            RequestChecks.checkValue(value);
            RequestChecks.checkBatchBytes((long) key.length + value.length);
        } catch (KvException e) {
            return CompletableFuture.failedFuture(e);
        }
        return submit(BatchOp.put(key, value)).thenApply(r -> null);
    }

    public CompletableFuture<Void> putAsync(String key, String value) {
        return putAsync(utf8(key), utf8(value));
    }

    public CompletableFuture<Optional<byte[]>> getAsync(byte[] key) {
        return getAsync(key, ReadConsistency.LINEARIZABLE);
    }

    public CompletableFuture<Optional<byte[]>> getAsync(byte[] key, ReadConsistency consistency) {
        checkOpen();
        try {
            RequestChecks.checkKey(key);
        } catch (KvException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<BatchResult> read = consistency == ReadConsistency.LINEARIZABLE
                ? submit(BatchOp.get(key)) : getAlone(key, consistency, System.nanoTime());
        return read.thenApply(BatchResult::valueIfFound);
    }

    private CompletableFuture<BatchResult> getAlone(byte[] key, ReadConsistency consistency, long startNanos) {
        ByteString k = ByteString.copyFrom(key);
        KvCall<GetResponse> call = new KvCalls.KeyCall<>(key, "get", GetResponse::getError,
                (stub, header) -> stub.get(GetRequest.newBuilder()
                        .setHeader(header).setKey(k).setConsistency(consistency).build()));
        return new KvRequest<>(KvCalls.forConsistency(call, consistency), context, startNanos).start()
                .thenApply(r -> new BatchResult(r.getFound(), r.getValue().toByteArray()));
    }

    public CompletableFuture<Optional<byte[]>> getAsync(String key) {
        return getAsync(utf8(key));
    }

    /** Completes with whether the key existed. */
    public CompletableFuture<Boolean> deleteAsync(byte[] key) {
        checkOpen();
        try {
            RequestChecks.checkKey(key);
        } catch (KvException e) {
            return CompletableFuture.failedFuture(e);
        }
        return submit(BatchOp.delete(key)).thenApply(BatchResult::found);
    }

    public CompletableFuture<Boolean> deleteAsync(String key) {
        return deleteAsync(utf8(key));
    }

    /**
     * Several operations on keys of ONE group, applied atomically (ProcessRwOperation): all
     * writes (PUT/DEL, through the log, exactly-once) or all GETs, not mixed. Keys of several
     * groups fail with INVALID_ARGUMENT; which keys share a group depends on the map, so
     * batches suit keys known to share a slot. Results are in the order of {@code ops}.
     */
    public List<BatchResult> batch(List<BatchOp> ops) {
        return join(batchAsync(ops, ReadConsistency.LINEARIZABLE));
    }

    public CompletableFuture<List<BatchResult>> batchAsync(List<BatchOp> ops, ReadConsistency consistency) {
        checkOpen();
        boolean reads;
        try {
            reads = checkBatch(ops);
        } catch (KvException e) {
            return CompletableFuture.failedFuture(e);
        }
        Function<WriteSequencer.Ticket, KvCall<ClientOperationResponse>> callFor = batchCall(ops, consistency, false);
        CompletableFuture<ClientOperationResponse> response =
                reads ? new KvRequest<>(KvCalls.forConsistency(callFor.apply(null), consistency), context).start()
                        : write(callFor);
        return response.thenApply(r -> batchResults(r, ops.size()));
    }

    /** The call of a batch, with the session of its ticket when it writes (null for reads). */
    private Function<WriteSequencer.Ticket, KvCall<ClientOperationResponse>> batchCall(List<BatchOp> ops,
            ReadConsistency consistency, boolean gathered) {
        List<KvOp> protoOps = new ArrayList<>(ops.size());
        for (BatchOp op : ops) {
            protoOps.add(KvOp.newBuilder().setOp(op.type()).setKey(ByteString.copyFrom(op.key()))
                    .setValue(ByteString.copyFrom(op.value())).build());
        }
        return ticket -> new KvCalls.BatchCall(ops, (stub, header) -> {
            ClientOperationRequest.Builder request = ClientOperationRequest.newBuilder()
                    .setHeader(header).addAllOps(protoOps).setConsistency(consistency);
            if (ticket != null) {
                request.setSession(sequencer.session(ticket));
            }
            return stub.processRwOperation(request.build());
        }, gathered);
    }

    private static List<BatchResult> batchResults(ClientOperationResponse r, int ops) {
        checkResultCount(r, ops);
        List<BatchResult> results = new ArrayList<>(r.getResultsCount());
        for (OpResult result : r.getResultsList()) {
            if (result.getUnread()) {
                // Only GETs of a batch with writes are left unread, and this client sends none.
                throw new KvException(ErrorCode.UNAVAILABLE, "the server left a GET of a batch without writes unread");
            }
            results.add(new BatchResult(result.getFound(), result.getValue().toByteArray()));
        }
        return results;
    }

    private static void checkResultCount(ClientOperationResponse r, int ops) {
        if (r.getResultsCount() != ops) {
            throw new KvException(ErrorCode.UNAVAILABLE, "the server answered " + r.getResultsCount()
                    + " results for a batch of " + ops + " operations");
        }
    }

    /**
     * A single put, delete or linearizable get: through {@link RequestBatcher} when the cached
     * map names the key's group (and batching is on), so that it may go out together with others
     * to that group.
     */
    private CompletableFuture<BatchResult> submit(BatchOp op) {
        long group = batcher == null ? 0 : context.maps().cachedGroupOfSlot(Slots.of(op.key()));
        return group == 0 ? sendAlone(op, System.nanoTime()) : batcher.submit(group, op);
    }

    /** One put, delete or linearizable get in a request of its own. */
    private CompletableFuture<BatchResult> sendAlone(BatchOp op, long startNanos) {
        byte[] key = op.key();
        if (op.type() == OpType.GET) {
            return getAlone(key, ReadConsistency.LINEARIZABLE, startNanos);
        }
        ByteString k = ByteString.copyFrom(key);
        if (op.type() == OpType.PUT) {
            ByteString v = ByteString.copyFrom(op.value());
            return write(ticket -> new KvCalls.KeyCall<>(key, "put", PutResponse::getError,
                    (stub, header) -> stub.put(PutRequest.newBuilder()
                            .setHeader(header).setKey(k).setValue(v)
                            .setSession(sequencer.session(ticket)).build())), startNanos, MAX_SESSION_RENEWALS)
                    .thenApply(r -> PUT_RESULT);
        }
        return write(ticket -> new KvCalls.KeyCall<>(key, "delete", DeleteResponse::getError,
                (stub, header) -> stub.delete(DeleteRequest.newBuilder()
                        .setHeader(header).setKey(k).setSession(sequencer.session(ticket)).build())),
                startNanos, MAX_SESSION_RENEWALS)
                .thenApply(r -> new BatchResult(r.getExisted(), NO_VALUE));
    }

    /**
     * Writes and linearizable reads gathered by {@link RequestBatcher}, in one batch: through the
     * write path (a session sequence) when it holds a write, else as a read.
     */
    private CompletableFuture<List<BatchResult>> sendGathered(List<BatchOp> ops, long startNanos) {
        Function<WriteSequencer.Ticket, KvCall<ClientOperationResponse>> callFor =
                batchCall(ops, ReadConsistency.LINEARIZABLE, true);
        boolean reads = ops.stream().allMatch(op -> op.type() == OpType.GET);
        CompletableFuture<ClientOperationResponse> response = reads
                ? new KvRequest<>(callFor.apply(null), context, startNanos).start()
                : write(callFor, startNanos, MAX_SESSION_RENEWALS);
        return response.thenCompose(r -> readUnreadAlone(r, ops, startNanos));
    }

    /**
     * A gathered batch's results, each GET the server left unread (its writes applied, but the
     * answer would have passed the response limit or the slot moved) read again on its own.
     */
    private CompletableFuture<List<BatchResult>> readUnreadAlone(ClientOperationResponse r, List<BatchOp> ops,
                                                                 long startNanos) {
        checkResultCount(r, ops.size());
        BatchResult[] results = new BatchResult[ops.size()];
        List<CompletableFuture<?>> again = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            OpResult result = r.getResults(i);
            if (!result.getUnread()) {
                results[i] = new BatchResult(result.getFound(), result.getValue().toByteArray());
            } else if (ops.get(i).type() == OpType.GET) {
                int at = i;
                again.add(sendAlone(ops.get(i), startNanos).thenAccept(read -> results[at] = read));
            } else {
                throw new KvException(ErrorCode.UNAVAILABLE, "the server marked write " + i + " of a batch unread");
            }
        }
        return CompletableFuture.allOf(again.toArray(CompletableFuture[]::new)).thenApply(v -> List.of(results));
    }

    private static final byte[] NO_VALUE = new byte[0];
    private static final BatchResult PUT_RESULT = new BatchResult(true, NO_VALUE);

    /** Checks a batch's limits; true for a read-only batch. */
    private static boolean checkBatch(List<BatchOp> ops) {
        if (ops.isEmpty()) {
            throw KvException.invalidArgument("batch is empty");
        }
        long bytes = 0;
        int gets = 0;
        for (BatchOp op : ops) {
            bytes += op.key().length + op.value().length;
            if (op.type() == OpType.GET) {
                gets++;
            }
        }
        RequestChecks.checkBatchBytes(bytes);
        if (gets != 0 && gets != ops.size()) {
            throw KvException.invalidArgument("batch mixes reads and writes; send them separately");
        }
        return gets == ops.size();
    }

    /**
     * Runs a write once it has a sequence (at once, unless earlier writes fill the window); the
     * wait counts toward the request deadline. The sequence is finished (reply seen or given up)
     * when the write completes. A write refused with SESSION_EXPIRED before any attempt of it
     * could apply is sent again under a new client id (see {@link WriteSequencer#renew}).
     */
    private <R> CompletableFuture<R> write(Function<WriteSequencer.Ticket, KvCall<R>> callFor) {
        return write(callFor, System.nanoTime(), MAX_SESSION_RENEWALS);
    }

    /** How often one write may be sent again under a new client id. */
    private static final int MAX_SESSION_RENEWALS = 3;

    private <R> CompletableFuture<R> write(Function<WriteSequencer.Ticket, KvCall<R>> callFor, long startNanos,
                                           int renewalsLeft) {
        long deadlineMillis = Math.max(1, context.requestDeadline().toMillis()
                - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        return sequencer.begin().orTimeout(deadlineMillis, TimeUnit.MILLISECONDS).handle((ticket, waitFailure) -> {
            if (waitFailure != null) {
                return CompletableFuture.<R>failedFuture(new KvTimeoutException("no room for a new write within "
                        + deadlineMillis + " ms: the earliest of this client's writes is still unanswered", null));
            }
            CompletableFuture<R> result;
            try {
                result = new KvRequest<>(callFor.apply(ticket), context, startNanos).start();
            } catch (RuntimeException e) {
                sequencer.finish(ticket);
                return CompletableFuture.<R>failedFuture(e);
            }
            return result.whenComplete((r, e) -> sequencer.finish(ticket)).handle((r, e) -> {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                if (cause instanceof SessionExpiredException expired && expired.neverApplied() && renewalsLeft > 0) {
                    sequencer.renew(expired.horizon());
                    return write(callFor, startNanos, renewalsLeft - 1);
                }
                return e == null ? CompletableFuture.completedFuture(r) : CompletableFuture.<R>failedFuture(cause);
            }).thenCompose(f -> f);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<MergingScanIterator.Page> scanPage(long group, List<Integer> slots, ScanOptions options,
            byte[] cursor, int limit) {
        ByteString start = ByteString.copyFrom(options.start());
        ByteString end = ByteString.copyFrom(options.end());
        ByteString from = ByteString.copyFrom(cursor);
        ByteString bitmap = slotBitmap(slots);
        KvCall<ScanResponse> call = new KvCalls.GroupScanCall(group, slots, (stub, header) -> stub.scan(
                ScanRequest.newBuilder().setHeader(header).setStart(start).setEnd(end).setLimit(limit).setCursor(from)
                        .setConsistency(options.consistency()).setSlots(bitmap).build()));
        return new KvRequest<>(KvCalls.forConsistency(call, options.consistency()), context).start().thenApply(r -> {
            List<KvPair> pairs = new ArrayList<>(r.getPairsCount());
            for (io.shardkv.kv.proto.KvPair p : r.getPairsList()) {
                pairs.add(new KvPair(p.getKey().toByteArray(), p.getValue().toByteArray()));
            }
            return new MergingScanIterator.Page(pairs, r.getNextCursor().toByteArray(), r.getMore());
        });
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
    }

    /** Releases the channels and threads; requests in flight fail with UNAVAILABLE. */
    @Override
    public void close() {
        closed = true;
        if (batcher != null) {
            batcher.close(new KvException(ErrorCode.UNAVAILABLE, "the request was cancelled before it was sent:"
                    + " the client is closed"));
        }
        for (KvRequest<?> request : List.copyOf(context.inflight())) {
            request.abort();
        }
        timer.shutdownNow();
        metaExecutor.shutdownNow();
        channels.close();
        meta.close();
    }

    /**
     * Waits for {@code future}, rethrowing the client's own exceptions as they are (they are
     * unchecked and typed) and anything else wrapped.
     */
    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvException(ErrorCode.TIMEOUT, "interrupted while waiting for the request", e);
        } catch (ExecutionException e) {
            Throwable cause = KvRequest.unwrap(e.getCause());
            if (cause instanceof ShardKvException s) {
                throw s;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new KvException(ErrorCode.UNAVAILABLE, "request failed: " + cause, cause);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** See {@link Builder#requestsInFlightPerGroup}. */
    public static final int DEFAULT_REQUESTS_IN_FLIGHT_PER_GROUP = 1;

    /** One attempt's default timeout; see {@link Builder#attemptTimeout}. */
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(1);

    /** Configures a {@link KvClient}. */
    public static final class Builder {
        private List<String> metaEndpoints;
        private Duration requestDeadline = Duration.ofSeconds(10);
        private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
        private ClientSecurity security;
        private int requestsInFlightPerGroup = DEFAULT_REQUESTS_IN_FLIGHT_PER_GROUP;

        private Builder() {
        }

        /**
         * How to reach the servers: {@link ClientSecurity#certsDir} (TLS with a user's
         * certificate) for a secure cluster, {@link ClientSecurity#insecure()} for one started
         * with {@code --insecure}. Required: a client never falls back to plaintext by itself.
         */
        public Builder security(ClientSecurity security) {
            this.security = java.util.Objects.requireNonNull(security, "security");
            return this;
        }

        /** The meta-servers' {@code host:port} endpoints (any order; the leader is found). */
        public Builder metaEndpoints(List<String> endpoints) {
            this.metaEndpoints = Endpoints.check(endpoints);
            return this;
        }

        /** {@code "host:port,host:port,..."}. */
        public Builder metaEndpoints(String commaSeparated) {
            this.metaEndpoints = Endpoints.parse(commaSeparated);
            return this;
        }

        /** How long one operation may take in total, retries included (default 10 s). */
        public Builder requestDeadline(Duration deadline) {
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException("request deadline must be positive, got " + deadline);
            }
            this.requestDeadline = deadline;
            return this;
        }

        /**
         * How long one attempt on one server may take before the client tries another
         * (default 1 s, never more than what is left of the request deadline). Well below the
         * deadline, so a request sent to a leader that froze is retried on the replicas while
         * they elect a new one, and an outage lasts about an election, not a deadline. A retry
         * keeps the write's sequence number, so a slow first attempt still applies only once.
         */
        public Builder attemptTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("attempt timeout must be positive, got " + timeout);
            }
            this.attemptTimeout = timeout;
            return this;
        }

        /**
         * Single puts and deletes, and single linearizable gets, in flight to one group (each
         * kind counted apart) before further ones wait and go out together, as one batch, when
         * one of those is answered (default {@value #DEFAULT_REQUESTS_IN_FLIGHT_PER_GROUP}; 0
         * sends every request on its own). A batch costs the servers about what one request
         * does, so a client with many requests in flight gets far more through; a client with
         * fewer in flight than this never waits. Each request keeps its own result; a batch of
         * writes is applied whole, at one point in the log, and a batch of reads reads at one
         * point, which lies within each of its requests' lifetimes.
         */
        public Builder requestsInFlightPerGroup(int requests) {
            if (requests < 0) {
                throw new IllegalArgumentException("requests in flight per group must be 0 or more, got " + requests);
            }
            this.requestsInFlightPerGroup = requests;
            return this;
        }

        public KvClient build() {
            if (metaEndpoints == null) {
                throw new IllegalStateException("metaEndpoints must be set");
            }
            if (security == null) {
                throw new IllegalStateException("security must be set: ClientSecurity.certsDir(DIR, USER) for a cluster"
                        + " with TLS, or ClientSecurity.insecure() for one started with --insecure");
            }
            return new KvClient(this);
        }
    }

    /** The ScanRequest form of a slot set: bit i of byte i/8, least significant first. */
    static ByteString slotBitmap(List<Integer> slots) {
        byte[] bits = new byte[io.shardkv.common.Slots.COUNT / 8];
        for (int slot : slots) {
            bits[slot / 8] |= (byte) (1 << (slot % 8));
        }
        return ByteString.copyFrom(bits);
    }
}

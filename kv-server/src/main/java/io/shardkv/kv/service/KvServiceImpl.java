package io.shardkv.kv.service;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.common.Limits;
import io.shardkv.common.Slots;
import io.shardkv.kv.engine.ScanPage;
import io.shardkv.kv.proto.ClientOperationRequest;
import io.shardkv.kv.proto.ClientOperationResponse;
import io.shardkv.kv.proto.DeleteRequest;
import io.shardkv.kv.proto.DeleteResponse;
import io.shardkv.kv.proto.GetRequest;
import io.shardkv.kv.proto.GetResponse;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.KvPair;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.kv.proto.OpResult;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.proto.PutRequest;
import io.shardkv.kv.proto.PutResponse;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.kv.proto.ScanRequest;
import io.shardkv.kv.proto.ScanResponse;
import io.shardkv.kv.proto.WriteSession;
import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.replica.KvErrors;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.kv.state.ResponseTooLargeException;
import io.shardkv.kv.state.SlotTable;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.runtime.RaftServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The client KV API (kv.proto). Every request is checked against the limits first, then routed
 * ({@link GroupRouter}); writes go through the group's log and are answered after they apply
 * here, reads are served from the local state after a read index (LINEARIZABLE, LEASE) or at
 * once (STALE).
 *
 * <p>Nothing here blocks: the server runs these methods on its network threads. A write's answer
 * is a few bytes, sent by whichever thread completes the proposal (the group's apply thread, or
 * the timer of a timeout), as one more hand-off per write would cost more than the answer. Reads
 * may build answers of megabytes from the store: those are built on {@code executor}, never on
 * raft threads.
 */
public final class KvServiceImpl extends KvServiceGrpc.KvServiceImplBase {
    private final RaftServer raft;
    private final GroupRouter router;
    private final KvErrors errors;
    private final RequestTimers timers;
    private final Executor executor;
    private final long defaultTimeoutMillis;
    private final RequestBudget budget;
    private final Counter unreadGets;

    public KvServiceImpl(RaftServer raft, GroupRouter router, KvErrors errors, MeterRegistry registry,
                         Executor executor, long defaultTimeoutMillis) {
        this.raft = raft;
        this.router = router;
        this.errors = errors;
        this.timers = new RequestTimers(registry);
        this.executor = executor;
        this.defaultTimeoutMillis = defaultTimeoutMillis;
        this.budget = new RequestBudget(RequestBudget.forHeap(Runtime.getRuntime().maxMemory()), registry);
        this.unreadGets = Counter.builder("shardkv.kv.batch.gets.unread")
                .description("GETs of batches with writes answered unread once the writes applied (answer over the"
                        + " response limit, slot moved, replica destroyed); the client reads each again alone")
                .register(registry);
    }

    @Override
    public void put(PutRequest r, StreamObserver<PutResponse> obs) {
        RequestCall<PutResponse> call = new RequestCall<>("put", obs,
                e -> PutResponse.newBuilder().setError(e).build(), timers);
        if (!call.admit(budget, r.getSerializedSize())) {
            return;
        }
        Optional<String> bad = RequestValidation.header(r.getHeader()).or(() -> RequestValidation.put(r.getKey(), r.getValue()));
        if (bad.isPresent()) {
            call.fail(KvErrors.invalid(bad.get()));
            return;
        }
        write(call, r.getHeader(), r.getSession(), List.of(Command.Op.put(r.getKey().toByteArray(),
                r.getValue().toByteArray())), result -> PutResponse.getDefaultInstance());
    }

    @Override
    public void delete(DeleteRequest r, StreamObserver<DeleteResponse> obs) {
        RequestCall<DeleteResponse> call = new RequestCall<>("delete", obs,
                e -> DeleteResponse.newBuilder().setError(e).build(), timers);
        if (!call.admit(budget, r.getSerializedSize())) {
            return;
        }
        Optional<String> bad = RequestValidation.header(r.getHeader()).or(() -> RequestValidation.key(r.getKey()));
        if (bad.isPresent()) {
            call.fail(KvErrors.invalid(bad.get()));
            return;
        }
        write(call, r.getHeader(), r.getSession(), List.of(Command.Op.delete(r.getKey().toByteArray())),
                result -> DeleteResponse.newBuilder().setExisted(result.found()[0]).build());
    }

    @Override
    public void get(GetRequest r, StreamObserver<GetResponse> obs) {
        RequestCall<GetResponse> call = new RequestCall<>("get", obs,
                e -> GetResponse.newBuilder().setError(e).build(), timers);
        if (!call.admit(budget, r.getSerializedSize())) {
            return;
        }
        Optional<String> bad = RequestValidation.header(r.getHeader()).or(() -> RequestValidation.key(r.getKey()));
        if (bad.isPresent()) {
            call.fail(KvErrors.invalid(bad.get()));
            return;
        }
        byte[] key = r.getKey().toByteArray();
        read(call, r.getHeader(), r.getConsistency(), List.of(Slots.of(key)), sm -> {
            Optional<byte[]> v = sm.get(key);
            return v.map(bytes -> GetResponse.newBuilder().setFound(true).setValue(ByteString.copyFrom(bytes)).build())
                    .orElse(GetResponse.getDefaultInstance());
        });
    }

    @Override
    public void scan(ScanRequest r, StreamObserver<ScanResponse> obs) {
        RequestCall<ScanResponse> call = new RequestCall<>("scan", obs,
                e -> ScanResponse.newBuilder().setError(e).build(), timers);
        if (!call.admit(budget, r.getSerializedSize())) {
            return;
        }
        Optional<String> bad = RequestValidation.header(r.getHeader()).or(() -> RequestValidation.scan(r))
                .or(() -> ScanSlots.check(r.getSlots()));
        if (bad.isPresent()) {
            call.fail(KvErrors.invalid(bad.get()));
            return;
        }
        int limit = r.getLimit() == 0 ? Limits.DEFAULT_SCAN_LIMIT : r.getLimit();
        boolean resume = !r.getCursor().isEmpty()
                && ByteString.unsignedLexicographicalComparator().compare(r.getCursor(), r.getStart()) >= 0;
        byte[] from = (resume ? r.getCursor() : r.getStart()).toByteArray();
        byte[] end = r.getEnd().toByteArray();
        Optional<List<Integer>> expected = ScanSlots.decode(r.getSlots());
        read(call, r.getHeader(), r.getConsistency(), expected.orElse(List.of()), sm -> {
            // With the client's slots the read was refused unless the group serves every one of
            // them; without, it scans whatever the group serves now.
            List<Integer> slots = expected.orElseGet(() -> sm.ownedSlots().list());
            if (slots.isEmpty()) {
                throw new WrongGroup(errors.wrongGroup("group " + sm.groupId() + " owns no slots"));
            }
            if (expected.isEmpty() && !sm.ownedSlots().inState(SlotTable.State.FROZEN).isEmpty()) {
                // Without the client's slots a frozen slot would silently drop out of the page.
                throw new WrongGroup(KvErrors.of(io.shardkv.kv.proto.ErrorCode.SLOT_MIGRATING, "group "
                        + sm.groupId() + " has slots frozen by a move; retry shortly"));
            }
            ScanPage page = sm.scan(slots, from, resume, end, limit, Limits.MAX_SCAN_PAGE_BYTES);
            ScanResponse.Builder b = ScanResponse.newBuilder().setMore(page.more());
            for (int i = 0; i < page.keys().size(); i++) {
                b.addPairs(KvPair.newBuilder().setKey(ByteString.copyFrom(page.keys().get(i)))
                        .setValue(ByteString.copyFrom(page.values().get(i))));
            }
            if (page.more()) {
                b.setNextCursor(ByteString.copyFrom(page.lastKey()));
            }
            return b.build();
        });
    }

    @Override
    public void processRwOperation(ClientOperationRequest r, StreamObserver<ClientOperationResponse> obs) {
        RequestCall<ClientOperationResponse> call = new RequestCall<>("batch", obs,
                e -> ClientOperationResponse.newBuilder().setError(e).build(), timers);
        if (!call.admit(budget, r.getSerializedSize())) {
            return;
        }
        Optional<String> bad = RequestValidation.header(r.getHeader()).or(() -> RequestValidation.batch(r));
        if (bad.isPresent()) {
            call.fail(KvErrors.invalid(bad.get()));
            return;
        }
        boolean reads = false;
        boolean writes = false;
        for (KvOp op : r.getOpsList()) {
            reads |= op.getOp() == OpType.GET;
            writes |= op.getOp() != OpType.GET;
        }
        if (reads && writes) {
            writeThenRead(call, r);
            return;
        }
        if (reads) {
            List<byte[]> keys = new ArrayList<>();
            List<Integer> slots = new ArrayList<>();
            for (KvOp op : r.getOpsList()) {
                byte[] key = op.getKey().toByteArray();
                keys.add(key);
                slots.add(Slots.of(key));
            }
            read(call, r.getHeader(), r.getConsistency(), slots, sm -> {
                ClientOperationResponse.Builder b = ClientOperationResponse.newBuilder();
                for (Optional<byte[]> v : sm.getAll(keys, Limits.MAX_RESPONSE_BYTES)) {
                    b.addResults(v.map(bytes -> OpResult.newBuilder().setFound(true)
                            .setValue(ByteString.copyFrom(bytes)).build()).orElse(OpResult.getDefaultInstance()));
                }
                return b.build();
            });
            return;
        }
        List<Command.Op> ops = new ArrayList<>();
        for (KvOp op : r.getOpsList()) {
            ops.add(op.getOp() == OpType.PUT ? Command.Op.put(op.getKey().toByteArray(), op.getValue().toByteArray())
                    : Command.Op.delete(op.getKey().toByteArray()));
        }
        write(call, r.getHeader(), r.getSession(), ops, result -> {
            ClientOperationResponse.Builder b = ClientOperationResponse.newBuilder();
            for (boolean found : result.found()) {
                b.addResults(OpResult.newBuilder().setFound(found));
            }
            return b.build();
        });
    }

    /**
     * A batch of writes and GETs: the writes go through the log as one entry, and once it has
     * applied here the GETs read, on the request executor, so they see the writes. No read-index
     * round is needed: the entry committed in this leader's term after the request arrived. Once
     * the writes applied the answer is OK, whatever happens to the reads: a GET that cannot be
     * answered (slot moved away meanwhile, answer over the response limit) is marked unread for
     * the client to send again, because an error would tell the client the writes did not apply.
     */
    private void writeThenRead(RequestCall<ClientOperationResponse> call, ClientOperationRequest r) {
        List<Command.Op> writes = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        for (KvOp op : r.getOpsList()) {
            byte[] key = op.getKey().toByteArray();
            slots.add(Slots.of(key));
            if (op.getOp() == OpType.PUT) {
                writes.add(Command.Op.put(key, op.getValue().toByteArray()));
            } else if (op.getOp() == OpType.DEL) {
                writes.add(Command.Op.delete(key));
            }
        }
        Map<Integer, Long> epochs = r.getHeader().getSlotEpochsMap();
        write(call, r.getHeader(), r.getSession(), writes, slots, (sm, result) -> executor.execute(() -> {
            ClientOperationResponse answer;
            try {
                answer = MixedBatchAnswer.of(r.getOpsList(), result.found(), sm,
                        router.checkSlots(sm, slots, epochs).isEmpty(), Limits.MAX_RESPONSE_BYTES);
            } catch (RuntimeException e) {
                // Not an error answer (see above): every GET goes back unread.
                answer = MixedBatchAnswer.of(r.getOpsList(), result.found(), sm, false, 0);
            }
            unreadGets.increment(answer.getResultsList().stream().filter(OpResult::getUnread).count());
            call.ok(answer);
        }));
    }

    // ------------------------------------------------------------------ common paths

    private <R> void write(RequestCall<R> call, RequestHeader header, WriteSession ws, List<Command.Op> ops,
                           Function<CommandResult, R> onOk) {
        List<Integer> slots = new ArrayList<>();
        ops.forEach(op -> slots.add(Slots.of(op.key())));
        write(call, header, ws, ops, slots, (sm, result) -> call.ok(onOk.apply(result)));
    }

    /**
     * Proposes {@code ops} under the client's session once the group owns every one of
     * {@code slots} here as leader; {@code onApplied} gets the applied write's result when it is
     * OK, on the thread that applied it.
     */
    private <R> void write(RequestCall<R> call, RequestHeader header, WriteSession ws, List<Command.Op> ops,
                           List<Integer> slots, BiConsumer<KvStateMachine, CommandResult> onApplied) {
        GroupRouter.Route route = router.route(header.getGroupId(), true, slots, header.getSlotEpochsMap());
        if (!route.ok()) {
            call.fail(route.error());
            return;
        }
        KvStateMachine sm = route.machine();
        Command.Session session = new Command.Session(ws.getClientId(), ws.getSequence(), ws.getFirstIncomplete());
        byte[] command = CommandCodec.encode(new Command.Write(session, System.currentTimeMillis(), ops));
        raft.propose(header.getGroupId(), command)
                .orTimeout(timeoutMillis(header), TimeUnit.MILLISECONDS)
                .whenComplete((bytes, failure) -> {
                    if (failure != null) {
                        call.fail(errors.fromFailure(failure));
                        return;
                    }
                    CommandResult result = CommandResult.decode(bytes);
                    if (result.isOk()) {
                        onApplied.accept(sm, result);
                    } else {
                        call.fail(resultError(result));
                    }
                });
    }

    private <R> void read(RequestCall<R> call, RequestHeader header, ReadConsistency consistency, List<Integer> slots,
                          Function<KvStateMachine, R> reader) {
        boolean stale = consistency == ReadConsistency.STALE;
        Map<Integer, Long> epochs = header.getSlotEpochsMap();
        GroupRouter.Route route = router.route(header.getGroupId(), !stale, slots, epochs);
        if (!route.ok()) {
            call.fail(route.error());
            return;
        }
        KvStateMachine sm = route.machine();
        if (stale) {
            executor.execute(() -> serveRead(call, sm, slots, epochs, reader));
            return;
        }
        ReadMode mode = consistency == ReadConsistency.LEASE ? ReadMode.LEASE : ReadMode.SAFE;
        raft.readIndex(header.getGroupId(), mode)
                .orTimeout(timeoutMillis(header), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((index, failure) -> {
                    if (failure != null) {
                        call.fail(errors.fromFailure(failure));
                    } else {
                        serveRead(call, sm, slots, epochs, reader);
                    }
                }, executor);
    }

    /** Reads after re-checking the slots: ownership may have changed while the read index was confirmed. */
    private <R> void serveRead(RequestCall<R> call, KvStateMachine sm, List<Integer> slots, Map<Integer, Long> epochs,
                               Function<KvStateMachine, R> reader) {
        Optional<KvError> slotError = router.checkSlots(sm, slots, epochs);
        if (slotError.isPresent()) {
            call.fail(slotError.get());
            return;
        }
        try {
            R result = reader.apply(sm);
            if (sm.isClosed()) {
                // Destroyed while reading: its keys may be half deleted, so "absent" means nothing.
                call.fail(errors.wrongGroup("group " + sm.groupId() + " is no longer hosted on this server"));
                return;
            }
            call.ok(result);
        } catch (WrongGroup e) {
            call.fail(e.error);
        } catch (ResponseTooLargeException e) {
            call.fail(KvErrors.invalid(e.getMessage()));
        } catch (RuntimeException e) {
            call.fail(errors.fromFailure(e));
        }
    }

    private KvError resultError(CommandResult result) {
        return errors.fromResult(result);
    }

    private long timeoutMillis(RequestHeader header) {
        return header.getTimeoutMillis() == 0 ? defaultTimeoutMillis : header.getTimeoutMillis();
    }

    /** A reader's way to answer WRONG_GROUP from inside a read. */
    private static final class WrongGroup extends RuntimeException {
        final transient KvError error;

        WrongGroup(KvError error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }
}

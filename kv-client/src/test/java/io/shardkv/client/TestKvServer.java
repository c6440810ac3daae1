package io.shardkv.client;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.shardkv.common.Limits;
import io.shardkv.common.Slots;
import io.shardkv.kv.proto.ClientOperationRequest;
import io.shardkv.kv.proto.ClientOperationResponse;
import io.shardkv.kv.proto.DeleteRequest;
import io.shardkv.kv.proto.DeleteResponse;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GetRequest;
import io.shardkv.kv.proto.GetResponse;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvOp;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.kv.proto.OpResult;
import io.shardkv.kv.proto.OpType;
import io.shardkv.kv.proto.PutRequest;
import io.shardkv.kv.proto.PutResponse;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.kv.proto.ScanRequest;
import io.shardkv.kv.proto.ScanResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A minimal KvService on real gRPC (127.0.0.1, port 0) for the client's routing and retry
 * tests, since the real kv-server is built elsewhere. It follows kv.proto's semantics: a
 * server that does not lead the group answers NOT_LEADER with the leader's id and address;
 * a group that does not own the key's slot answers WRONG_GROUP; writes are exactly-once by
 * (client id, sequence). The data and leadership live in {@link TestGroup}, shared by the
 * servers of a group as a replicated group would share them.
 */
final class TestKvServer implements AutoCloseable {
    private final long id;
    private final TestCluster cluster;
    private final Server server;

    TestKvServer(long id, TestCluster cluster) throws IOException {
        this(id, cluster, 0);
    }

    TestKvServer(long id, TestCluster cluster, int port) throws IOException {
        this.id = id;
        this.cluster = cluster;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(new Service())
                .build()
                .start();
    }

    long id() {
        return id;
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** The header of the last request this server checked. */
    volatile RequestHeader lastHeader;
    /** Frozen: takes requests and never answers, as a server stopped with SIGSTOP. */
    volatile boolean frozen;
    /** Requests this server was sent, answered or not. */
    final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    /** ProcessRwOperation (batch) requests among them. */
    final java.util.concurrent.atomic.AtomicInteger batchRequests = new java.util.concurrent.atomic.AtomicInteger();
    /** Batches that held both GETs and writes. */
    final java.util.concurrent.atomic.AtomicInteger mixedBatchRequests = new java.util.concurrent.atomic.AtomicInteger();
    /** When set, the GETs of batches with writes come back unread, as over the response limit. */
    final java.util.concurrent.atomic.AtomicBoolean leaveMixedGetsUnread = new java.util.concurrent.atomic.AtomicBoolean();

    /** Whether to leave this request unanswered (a frozen server); counts it either way. */
    private boolean ignore() {
        requests.incrementAndGet();
        return frozen;
    }

    private KvError check(RequestHeader header, ByteString key) {
        lastHeader = header;
        TestGroup group = cluster.group(header.getGroupId());
        if (group == null || !group.members().contains(id)) {
            return error(ErrorCode.WRONG_GROUP, "group " + header.getGroupId() + " is not hosted here");
        }
        long leader = group.leaderId();
        if (leader != id) {
            KvError.Builder e = KvError.newBuilder().setCode(ErrorCode.NOT_LEADER).setMessage("not the leader");
            if (leader != 0) {
                e.setLeaderId(leader).setLeaderAddress(cluster.server(leader).address());
            }
            return e.build();
        }
        KvError fault = group.takeFault();
        if (fault != null) {
            return fault;
        }
        if (key != null && !group.ownsSlot(Slots.of(key.toByteArray()))) {
            int slot = Slots.of(key.toByteArray());
            KvError.Builder e = KvError.newBuilder().setCode(ErrorCode.WRONG_GROUP).setMessage("slot not owned")
                    .setConfigVersion(cluster.version());
            long[] route = group.givenAway.get(slot);
            if (route != null) {
                e.setOwnerGroupId(route[0]).setSlot(slot).setSlotEpoch(route[1]);
            }
            return e.build();
        }
        return null;
    }

    private static KvError error(ErrorCode code, String message) {
        return KvError.newBuilder().setCode(code).setMessage(message).build();
    }

    private final class Service extends KvServiceGrpc.KvServiceImplBase {
        @Override
        public void put(PutRequest request, StreamObserver<PutResponse> observer) {
            if (ignore()) {
                return;
            }
            KvError error = check(request.getHeader(), request.getKey());
            if (error == null) {
                TestGroup group = cluster.group(request.getHeader().getGroupId());
                group.recordSession(request.getSession());
                group.applyOnce(request.getSession(), () -> {
                    group.data().put(request.getKey().toByteArray(), request.getValue().toByteArray());
                    return true;
                });
                if (group.takeLostReply()) {
                    error = error(ErrorCode.TIMEOUT, "reply lost after apply");
                }
                if (group.takeInternalFailure()) {
                    observer.onError(io.grpc.Status.INTERNAL.withDescription("server fault after apply")
                            .asRuntimeException());
                    return;
                }
            }
            observer.onNext(PutResponse.newBuilder().setError(orOk(error)).build());
            observer.onCompleted();
        }

        @Override
        public void get(GetRequest request, StreamObserver<GetResponse> observer) {
            if (ignore()) {
                return;
            }
            KvError error = check(request.getHeader(), request.getKey());
            GetResponse.Builder response = GetResponse.newBuilder().setError(orOk(error));
            if (error == null) {
                byte[] value = cluster.group(request.getHeader().getGroupId()).data().get(request.getKey().toByteArray());
                if (value != null) {
                    response.setFound(true).setValue(ByteString.copyFrom(value));
                }
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void delete(DeleteRequest request, StreamObserver<DeleteResponse> observer) {
            if (ignore()) {
                return;
            }
            KvError error = check(request.getHeader(), request.getKey());
            DeleteResponse.Builder response = DeleteResponse.newBuilder().setError(orOk(error));
            if (error == null) {
                TestGroup group = cluster.group(request.getHeader().getGroupId());
                group.recordSession(request.getSession());
                response.setExisted(group.applyOnce(request.getSession(),
                        () -> group.data().remove(request.getKey().toByteArray()) != null));
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void processRwOperation(ClientOperationRequest request,
                StreamObserver<ClientOperationResponse> observer) {
            batchRequests.incrementAndGet();
            if (ignore()) {
                return;
            }
            KvError error = null;
            for (KvOp op : request.getOpsList()) {
                error = error == null ? check(request.getHeader(), op.getKey()) : error;
            }
            ClientOperationResponse.Builder response = ClientOperationResponse.newBuilder().setError(orOk(error));
            if (error == null) {
                TestGroup group = cluster.group(request.getHeader().getGroupId());
                List<OpResult> results = new ArrayList<>();
                boolean writes = request.getOpsList().stream().anyMatch(op -> op.getOp() != OpType.GET);
                boolean mixed = writes && request.getOpsList().stream().anyMatch(op -> op.getOp() == OpType.GET);
                if (mixed) {
                    mixedBatchRequests.incrementAndGet();
                }
                if (writes) {
                    group.recordSession(request.getSession());
                }
                Runnable apply = () -> {
                    OpResult[] out = new OpResult[request.getOpsCount()];
                    // The writes first: the GETs of a batch with writes read after them.
                    for (int i = 0; i < out.length; i++) {
                        KvOp op = request.getOps(i);
                        byte[] key = op.getKey().toByteArray();
                        if (op.getOp() == OpType.PUT) {
                            group.data().put(key, op.getValue().toByteArray());
                            out[i] = OpResult.newBuilder().setFound(true).build();
                        } else if (op.getOp() == OpType.DEL) {
                            out[i] = OpResult.newBuilder().setFound(group.data().remove(key) != null).build();
                        }
                    }
                    for (int i = 0; i < out.length; i++) {
                        KvOp op = request.getOps(i);
                        if (op.getOp() != OpType.GET) {
                            continue;
                        }
                        if (mixed && leaveMixedGetsUnread.get()) {
                            out[i] = OpResult.newBuilder().setUnread(true).build();
                        } else {
                            byte[] value = group.data().get(op.getKey().toByteArray());
                            out[i] = OpResult.newBuilder().setFound(value != null)
                                    .setValue(ByteString.copyFrom(value == null ? new byte[0] : value)).build();
                        }
                    }
                    results.addAll(List.of(out));
                };
                if (writes) {
                    group.applyOnce(request.getSession(), () -> {
                        apply.run();
                        return true;
                    });
                } else {
                    apply.run();
                }
                response.addAllResults(results);
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }

        @Override
        public void scan(ScanRequest request, StreamObserver<ScanResponse> observer) {
            if (ignore()) {
                return;
            }
            KvError error = check(request.getHeader(), null);
            ScanResponse.Builder response = ScanResponse.newBuilder().setError(orOk(error));
            if (error == null) {
                TestGroup group = cluster.group(request.getHeader().getGroupId());
                group.countScanPage();
                int limit = request.getLimit() == 0 ? Limits.DEFAULT_SCAN_LIMIT : request.getLimit();
                byte[] from = request.getCursor().isEmpty() ? request.getStart().toByteArray()
                        : request.getCursor().toByteArray();
                boolean inclusive = request.getCursor().isEmpty();
                Map<byte[], byte[]> tail = group.data().tailMap(from, inclusive);
                byte[] last = null;
                int taken = 0;
                boolean more = false;
                for (Map.Entry<byte[], byte[]> entry : tail.entrySet()) {
                    if (!request.getEnd().isEmpty()
                            && Bytes.compare(entry.getKey(), request.getEnd().toByteArray()) >= 0) {
                        break;
                    }
                    if (taken == limit) {
                        more = true;
                        break;
                    }
                    response.addPairs(io.shardkv.kv.proto.KvPair.newBuilder()
                            .setKey(ByteString.copyFrom(entry.getKey())).setValue(ByteString.copyFrom(entry.getValue())));
                    last = entry.getKey();
                    taken++;
                }
                if (more) {
                    response.setMore(true).setNextCursor(ByteString.copyFrom(last));
                }
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }
    }

    private static KvError orOk(KvError error) {
        return error == null ? KvError.getDefaultInstance() : error;
    }
}

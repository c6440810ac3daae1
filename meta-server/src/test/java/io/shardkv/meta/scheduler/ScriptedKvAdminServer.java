package io.shardkv.meta.scheduler;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.shardkv.kv.proto.AdminResponse;
import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.kv.proto.ChangeMembershipRequest;
import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.proto.ServerInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * One scripted kv-server's KvAdmin endpoint on real gRPC (127.0.0.1, free port), answering
 * from a shared {@link ScriptedKvCluster}; an "unreachable" server answers gRPC UNAVAILABLE.
 */
final class ScriptedKvAdminServer implements AutoCloseable {
    private final Server server;

    ScriptedKvAdminServer(long serverId, ScriptedKvCluster cluster) {
        ServerInfo self = ServerInfo.newBuilder().setId(serverId).build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new KvAdminGrpc.KvAdminImplBase() {
                    @Override
                    public void createReplica(CreateReplicaRequest r, StreamObserver<AdminResponse> out) {
                        reply(out, () -> cluster.createReplica(self, r));
                    }

                    @Override
                    public void changeMembership(ChangeMembershipRequest r, StreamObserver<AdminResponse> out) {
                        reply(out, () -> cluster.changeMembership(self, r));
                    }

                    @Override
                    public void destroyReplica(DestroyReplicaRequest r, StreamObserver<AdminResponse> out) {
                        reply(out, () -> cluster.destroyReplica(self, r));
                    }

                    @Override
                    public void assignSlots(AssignSlotsRequest r, StreamObserver<AdminResponse> out) {
                        reply(out, () -> cluster.assignSlots(self, r));
                    }

                    @Override
                    public void transferLeader(TransferLeaderRequest r, StreamObserver<AdminResponse> out) {
                        reply(out, () -> cluster.transferLeader(self, r));
                    }

                    @Override
                    public void groupStatus(GroupStatusRequest r, StreamObserver<GroupStatusResponse> out) {
                        reply(out, () -> cluster.groupStatus(self, r));
                    }
                }).build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> void reply(StreamObserver<T> out, Supplier<T> call) {
        T response;
        try {
            response = call.get();
        } catch (AdminCallException e) {
            out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}

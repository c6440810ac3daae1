package io.shardkv.raft.transport;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * Runs the server calls of chosen methods on the network thread that read them, and every other
 * call on the server's executor. For handlers that never block (they check, encode and queue):
 * handing each message to a pool thread costs a wake-up, which on a small machine is more than
 * the handler's own work. A handler that may wait (a file write, a call to another server) must
 * stay on the executor, or it stalls every connection of that network thread.
 */
public final class NonBlockingCalls implements ServerCallExecutorSupplier {
    private final Predicate<MethodDescriptor<?, ?>> nonBlocking;

    private NonBlockingCalls(Predicate<MethodDescriptor<?, ?>> nonBlocking) {
        this.nonBlocking = nonBlocking;
    }

    /** Every method of the service named {@code serviceName} (e.g. {@code shardkv.kv.KvService}). */
    public static NonBlockingCalls ofService(String serviceName) {
        return new NonBlockingCalls(m -> serviceName.equals(m.getServiceName()));
    }

    /** This method only. */
    public static NonBlockingCalls ofMethod(MethodDescriptor<?, ?> method) {
        return new NonBlockingCalls(m -> m.getFullMethodName().equals(method.getFullMethodName()));
    }

    /** Whether calls of {@code method} run on the network thread. */
    boolean isNonBlocking(MethodDescriptor<?, ?> method) {
        return nonBlocking.test(method);
    }

    @Override
    public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
        // null: the server's own executor.
        return isNonBlocking(call.getMethodDescriptor()) ? MoreExecutors.directExecutor() : null;
    }
}

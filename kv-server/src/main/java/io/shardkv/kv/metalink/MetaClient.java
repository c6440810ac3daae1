package io.shardkv.kv.metalink;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Calls the meta-server's leader: tries the configured endpoints in turn, starting with the
 * last one that answered, and moves on when one answers NOT_LEADER or cannot be reached.
 * Thread-safe.
 */
public final class MetaClient implements AutoCloseable {
    private final List<String> endpoints;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private volatile int current;

    public MetaClient(List<String> endpoints, int maxMessageBytes) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one meta-server endpoint is required");
        }
        this.endpoints = List.copyOf(endpoints);
        for (String e : endpoints) {
            channels.add(NettyChannelBuilder.forTarget(e).usePlaintext().maxInboundMessageSize(maxMessageBytes).build());
        }
    }

    /** The meta-server answered nothing usable: no endpoint was reachable or none leads. */
    public static final class MetaUnavailableException extends Exception {
        public MetaUnavailableException(String message) {
            super(message);
        }
    }

    /**
     * Runs {@code rpc} against the leader.
     *
     * @param errorOf        the response's MetaError
     * @param deadlineMillis deadline of each attempt
     */
    public <T> T call(Function<MetaServiceGrpc.MetaServiceBlockingStub, T> rpc, Function<T, MetaError> errorOf,
                      long deadlineMillis) throws MetaUnavailableException {
        StringBuilder failures = new StringBuilder();
        int start = current;
        for (int i = 0; i < channels.size(); i++) {
            int idx = (start + i) % channels.size();
            MetaServiceGrpc.MetaServiceBlockingStub stub = MetaServiceGrpc.newBlockingStub(channels.get(idx))
                    .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
            try {
                T response = rpc.apply(stub);
                MetaError error = errorOf.apply(response);
                if (error.getCode() == MetaErrorCode.NOT_LEADER) {
                    failures.append(' ').append(endpoints.get(idx)).append(": not the leader;");
                    continue;
                }
                current = idx;
                return response;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED
                        && code != Status.Code.UNIMPLEMENTED && code != Status.Code.CANCELLED) {
                    throw e;
                }
                failures.append(' ').append(endpoints.get(idx)).append(": ").append(code).append(';');
            }
        }
        throw new MetaUnavailableException("no meta-server leader among " + endpoints + ":" + failures);
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
    }
}

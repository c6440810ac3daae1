package io.shardkv.client;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.ChannelCredentials;
import io.shardkv.security.ClientSecurity;
import io.shardkv.common.Backoff;
import io.shardkv.meta.proto.MetaError;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MetaServiceGrpc;
import io.shardkv.meta.proto.MetaServiceGrpc.MetaServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Calls the meta leader, whichever of the configured meta-servers it is: the one way clients,
 * kvctl and the kv-servers find it. Starts with the endpoint that answered last; moves on when
 * one answers NOT_LEADER or cannot be reached. {@link #call} goes round again, after a backoff,
 * until its deadline; {@link #firstAnswer} makes one round, for calls their caller repeats
 * anyway (a kv-server's heartbeats and map watch). Blocking.
 */
public final class MetaCaller implements AutoCloseable {
    /**
     * One attempt of an idempotent call on one endpoint never takes longer than this, so a hung
     * (frozen) meta-server is skipped while the others elect a new leader; such calls (reads of
     * the map and status) answer at once on a healthy leader.
     */
    private static final Duration MAX_IDEMPOTENT_ATTEMPT = Duration.ofSeconds(1);
    /**
     * A change that times out has an unknown outcome and is not resent, so it is given longer
     * before the client gives up on one meta-server.
     */
    private static final Duration MAX_CHANGE_ATTEMPT = Duration.ofSeconds(3);
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(10);

    private final List<String> endpoints;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final Backoff backoff = new Backoff(Duration.ofMillis(20), Duration.ofMillis(500),
            () -> ThreadLocalRandom.current().nextDouble());
    // The endpoint that answered as leader last; read and written by any caller thread.
    private volatile int preferred;

    /**
     * @param endpoints the meta-servers' {@code host:port}, in any order
     * @param security  TLS with this process's certificate, or plaintext for an insecure cluster
     */
    public MetaCaller(List<String> endpoints, ClientSecurity security) {
        this.endpoints = Endpoints.check(endpoints);
        ChannelCredentials credentials = security.forMetaServers();
        for (String endpoint : this.endpoints) {
            channels.add(ChannelPool.open(endpoint, credentials));
        }
    }

    List<String> endpoints() {
        return endpoints;
    }

    /**
     * Runs {@code rpc} on the meta leader. NOT_LEADER and servers that cannot be connected to
     * are retried until {@code timeout}. Failures after which a change may have happened (an
     * in-band TIMEOUT or UNAVAILABLE, gRPC DEADLINE_EXCEEDED, a connection lost during the
     * call) are retried only for {@code idempotent} calls: repeating ADD_SHARDGROUP that did
     * apply would add a second group. Any other error throws a {@link MetaException} with the
     * server's code and message.
     */
    <R> R call(String what, Duration timeout, boolean idempotent,
            Function<MetaServiceBlockingStub, R> rpc, Function<R, MetaError> errorOf) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration maxAttempt = idempotent ? MAX_IDEMPOTENT_ATTEMPT : MAX_CHANGE_ATTEMPT;
        String last = "no attempt made";
        boolean anyAnswered = false;
        for (int round = 0; ; round++) {
            int start = preferred;
            for (int i = 0; i < endpoints.size(); i++) {
                long remainingNanos = deadline - System.nanoTime();
                if (remainingNanos < MIN_ATTEMPT.toNanos()) {
                    // Too little time for an answer; the last real failure says more than a deadline would.
                    break;
                }
                int index = (start + i) % endpoints.size();
                String endpoint = endpoints.get(index);
                MetaServiceBlockingStub stub = MetaServiceGrpc.newBlockingStub(channels.get(index))
                        .withDeadlineAfter(Math.min(remainingNanos, maxAttempt.toNanos()), TimeUnit.NANOSECONDS);
                R response;
                try {
                    response = rpc.apply(stub);
                } catch (StatusRuntimeException e) {
                    Status.Code code = e.getStatus().getCode();
                    if ((code == Status.Code.UNAVAILABLE && (idempotent || neverConnected(e)))
                            || (code == Status.Code.DEADLINE_EXCEEDED && idempotent)) {
                        // gRPC's own reconnect backoff would hide a restarted meta-server; ours paces the retries.
                        channels.get(index).resetConnectBackoff();
                        last = endpoint + ": " + describe(e.getStatus());
                        continue;
                    }
                    if (code == Status.Code.PERMISSION_DENIED) {
                        throw new MetaException(MetaErrorCode.PERMISSION_DENIED, what + " refused by meta-server "
                                + endpoint + ": " + e.getStatus().getDescription(), e);
                    }
                    if (code == Status.Code.DEADLINE_EXCEEDED) {
                        throw new MetaException(MetaErrorCode.TIMEOUT,
                                what + " on meta-server " + endpoint + " timed out; it may or may not have happened", e);
                    }
                    if (code == Status.Code.UNAVAILABLE) {
                        throw new MetaException(MetaErrorCode.UNAVAILABLE, what + " on meta-server " + endpoint
                                + " lost its connection (" + describe(e.getStatus())
                                + "); it may or may not have happened, check the cluster status", e);
                    }
                    throw new MetaException(MetaErrorCode.UNAVAILABLE,
                            what + " failed on meta-server " + endpoint + ": " + describe(e.getStatus()), e);
                }
                MetaError error = errorOf.apply(response);
                MetaErrorCode code = error.getCode();
                if (code == MetaErrorCode.OK) {
                    preferred = index;
                    return response;
                }
                anyAnswered = true;
                if (code == MetaErrorCode.NOT_LEADER
                        || ((code == MetaErrorCode.UNAVAILABLE || code == MetaErrorCode.TIMEOUT) && idempotent)) {
                    last = endpoint + ": " + code + (error.getMessage().isEmpty() ? "" : " " + error.getMessage());
                    continue;
                }
                String message = error.getMessage().isEmpty() ? what + " failed: " + code : error.getMessage();
                if (code == MetaErrorCode.UNAVAILABLE) {
                    message += "; it may or may not have happened, check the cluster status";
                }
                throw new MetaException(code, message);
            }
            long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMillis < MIN_ATTEMPT.toMillis()) {
                String where = String.join(",", endpoints);
                throw new MetaException(MetaErrorCode.UNAVAILABLE, anyAnswered
                        ? "no meta-server leader answered at " + where + " within " + timeout.toMillis() + " ms; last: " + last
                        : "cannot reach the meta-servers at " + where + ": " + last);
            }
            sleep(Math.min(remainingMillis, backoff.delayMillis(round)));
        }
    }

    /**
     * One round over the endpoints, each attempt given {@code attemptTimeout}: the first answer
     * that is not NOT_LEADER, whatever its code (the caller reads it). A long poll (a map watch
     * that waits for a newer map) passes a timeout longer than its wait.
     *
     * @throws MetaException UNAVAILABLE when no endpoint answered or every one is a follower
     */
    public <R> R firstAnswer(String what, Duration attemptTimeout, Function<MetaServiceBlockingStub, R> rpc,
                             Function<R, MetaError> errorOf) {
        StringBuilder failures = new StringBuilder();
        int start = preferred;
        for (int i = 0; i < endpoints.size(); i++) {
            int index = (start + i) % endpoints.size();
            MetaServiceBlockingStub stub = MetaServiceGrpc.newBlockingStub(channels.get(index))
                    .withDeadlineAfter(attemptTimeout.toNanos(), TimeUnit.NANOSECONDS);
            try {
                R response = rpc.apply(stub);
                if (errorOf.apply(response).getCode() == MetaErrorCode.NOT_LEADER) {
                    failures.append(' ').append(endpoints.get(index)).append(": not the leader;");
                    continue;
                }
                preferred = index;
                return response;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED
                        && code != Status.Code.UNIMPLEMENTED && code != Status.Code.CANCELLED) {
                    throw new MetaException(MetaErrorCode.UNAVAILABLE, what + " failed on meta-server "
                            + endpoints.get(index) + ": " + describe(e.getStatus()), e);
                }
                channels.get(index).resetConnectBackoff();
                failures.append(' ').append(endpoints.get(index)).append(": ").append(code).append(';');
            }
        }
        throw new MetaException(MetaErrorCode.UNAVAILABLE, "no meta-server leader among " + endpoints + ":" + failures);
    }

    /** The status and, for an I/O failure, its cause (e.g. "Connection refused"). */
    static String describe(Status status) {
        StringBuilder s = new StringBuilder(status.getCode().toString());
        if (status.getDescription() != null) {
            s.append(" (").append(status.getDescription()).append(')');
        }
        if (status.getCause() != null && status.getCause().getMessage() != null) {
            s.append(": ").append(status.getCause().getMessage());
        }
        return s.toString();
    }

    private static void sleep(long millis) {
        try {
            // Waiting for a meta leader to be elected or a server to come back; bounded by the deadline.
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetaException(MetaErrorCode.UNAVAILABLE, "interrupted while waiting for a meta-server leader", e);
        }
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels) {
            channel.shutdown();
        }
        for (ManagedChannel channel : channels) {
            try {
                if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the call failed before reaching the server (so nothing can have happened). */
    private static boolean neverConnected(StatusRuntimeException e) {
        for (Throwable t = e.getStatus().getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }
}

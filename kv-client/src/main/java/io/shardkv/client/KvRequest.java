package io.shardkv.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.kv.proto.RequestHeader;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The retry loop of one KV request (DESIGN 6), asynchronous: each step runs on whatever
 * thread completed the previous one (gRPC callback, the timer, the map refresh), and
 * nothing blocks. The outcome table:
 * <ul>
 *   <li>OK: done.</li>
 *   <li>NOT_LEADER: follow the hint at once (a few hops), else try the next voter after a backoff.</li>
 *   <li>WRONG_GROUP: refresh the map; retry at once if it changed, else after a backoff.</li>
 *   <li>SLOT_MIGRATING, SERVER_BUSY, UNAVAILABLE, TIMEOUT: retry after a backoff (UNAVAILABLE
 *       also forgets the leader hint and moves to the next voter).</li>
 *   <li>gRPC UNAVAILABLE or attempt deadline: next voter after a backoff; after a round of
 *       voters also refresh the map (the server may have a new address).</li>
 *   <li>INVALID_ARGUMENT and anything unknown: fail at once.</li>
 * </ul>
 * Everything happens within the request deadline; when it runs out the request fails with a
 * {@link KvTimeoutException} naming the last failure. A retried write is the same
 * {@link KvCall}, so it keeps its sequence.
 */
final class KvRequest<R> {
    /** Immediate redirects to hinted leaders before backing off (hints can ping-pong in elections). */
    private static final int MAX_IMMEDIATE_REDIRECTS = 3;

    private final KvCall<R> call;
    private final RequestContext context;
    private final long startNanos;
    private final long deadlineNanos;
    private final CompletableFuture<R> result = new CompletableFuture<>();

    // Mutated only by the one step in progress; steps never overlap, and each hands over to
    // the next through a future (a happens-before edge).
    private int retries;
    private int rotation;
    private int redirects;
    /** An attempt ended without telling whether it applied (timed out, lost): a write's outcome is unknown. */
    private boolean outcomeUnknown;
    private int unreachable;
    private Throwable lastFailure;

    KvRequest(KvCall<R> call, RequestContext context) {
        this(call, context, System.nanoTime());
    }

    /** A request whose deadline counts from {@code startNanos} (e.g. when a write began waiting for a sequence). */
    KvRequest(KvCall<R> call, RequestContext context, long startNanos) {
        this.call = call;
        this.context = context;
        this.startNanos = startNanos;
        this.deadlineNanos = startNanos + context.requestDeadline().toNanos();
    }

    CompletableFuture<R> start() {
        context.inflight().add(this);
        result.whenComplete((r, e) -> context.inflight().remove(this));
        attempt();
        return result;
    }

    /** The client is closing: the request ends now (a write may or may not have happened). */
    void abort() {
        result.completeExceptionally(new KvException(ErrorCode.UNAVAILABLE,
                call.describe() + " was cancelled: the client is closed"));
    }

    private long remainingMillis() {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    private void attempt() {
        if (result.isDone()) {
            return;
        }
        long remaining = remainingMillis();
        if (remaining <= 0) {
            timeOut();
            return;
        }
        withTable(context.maps().current(Duration.ofMillis(metaBudget(remaining))), remaining);
    }

    /**
     * A map fetch gets slightly less than what is left, so when the meta-servers cannot be
     * reached the fetch fails (saying why) just before this request gives up.
     */
    private static long metaBudget(long remainingMillis) {
        return Math.max(1, remainingMillis - Math.min(50, remainingMillis / 10));
    }

    /** Continues with {@code table} once it is there, but never past the deadline. */
    private void withTable(CompletableFuture<RoutingTable> table, long remainingMillis) {
        table.thenApply(t -> t)
                .orTimeout(Math.max(1, remainingMillis), TimeUnit.MILLISECONDS)
                .whenComplete((routing, error) -> {
                    if (error == null) {
                        route(routing);
                        return;
                    }
                    Throwable cause = unwrap(error);
                    if (cause instanceof TimeoutException) {
                        timeOut();
                    } else if (cause instanceof MetaException) {
                        lastFailure = cause;
                        retryLater(false, null);
                    } else {
                        result.completeExceptionally(cause);
                    }
                });
    }

    private void route(RoutingTable table) {
        long group;
        try {
            group = call.group(table);
        } catch (KvCalls.BatchSplitException e) {
            result.completeExceptionally(e.afterAttempts(outcomeUnknown));
            return;
        } catch (KvException e) {
            result.completeExceptionally(e);
            return;
        }
        int[] slots = call.slots();
        if (slots.length == 1) {
            // A WRONG_GROUP answer named where the slot went, after this map was made.
            Optional<SlotRoutes.Route> moved = context.slotRoutes().newerThan(slots[0], table.epochOfSlot(slots[0]));
            if (moved.isPresent() && table.hasGroup(moved.get().group())) {
                group = moved.get().group();
            }
        }
        if (group == 0) {
            lastFailure = new KvException(ErrorCode.WRONG_GROUP,
                    call.describe() + ": no shard group owns its slot in map version " + table.version());
            retryLater(true, table);
            return;
        }
        Optional<Target> target = pickTarget(table, group);
        if (target.isEmpty()) {
            lastFailure = new KvException(ErrorCode.UNAVAILABLE,
                    call.describe() + ": group " + group + " has no voter with a known address in map version "
                            + table.version());
            retryLater(true, table);
            return;
        }
        send(table, group, target.get());
    }

    private Optional<Target> pickTarget(RoutingTable table, long group) {
        Optional<LeaderHints.Hint> hint = context.hints().get(group);
        if (hint.isPresent()) {
            LeaderHints.Hint h = hint.get();
            Optional<String> address = h.address() != null ? Optional.of(h.address()) : table.address(h.serverId());
            if (address.isPresent()) {
                return Optional.of(new Target(h.serverId(), address.get(), h));
            }
        }
        List<Long> voters = table.voters(group);
        for (int i = 0; i < voters.size(); i++) {
            long server = voters.get(Math.floorMod(rotation + i, voters.size()));
            Optional<String> address = table.address(server);
            if (address.isPresent()) {
                return Optional.of(new Target(server, address.get(), null));
            }
        }
        return Optional.empty();
    }

    private void send(RoutingTable table, long group, Target target) {
        long remaining = remainingMillis();
        if (remaining <= 0) {
            timeOut();
            return;
        }
        long attemptMillis = Math.max(1, Math.min(remaining, context.attemptTimeout().toMillis()));
        RequestHeader.Builder headerBuilder = RequestHeader.newBuilder()
                .setGroupId(group)
                .setConfigVersion(table.version())
                .setTimeoutMillis((int) Math.min(Integer.MAX_VALUE, attemptMillis));
        for (int slot : call.slots()) {
            long epoch = table.epochOfSlot(slot);
            headerBuilder.putSlotEpochs(slot, context.slotRoutes().newerThan(slot, epoch)
                    .map(SlotRoutes.Route::epoch).orElse(epoch));
        }
        RequestHeader header = headerBuilder.build();
        ListenableFuture<R> response;
        try {
            KvServiceGrpc.KvServiceFutureStub stub = KvServiceGrpc.newFutureStub(context.channels().get(target.address()))
                    .withDeadlineAfter(attemptMillis, TimeUnit.MILLISECONDS);
            response = call.send(stub, header);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        Futures.addCallback(response, new FutureCallback<>() {
            @Override
            public void onSuccess(R value) {
                handleResponse(table, group, target, value);
            }

            @Override
            public void onFailure(Throwable t) {
                handleRpcFailure(table, group, target, t);
            }
        }, MoreExecutors.directExecutor());
    }

    private void handleResponse(RoutingTable table, long group, Target target, R response) {
        KvError error = call.error(response);
        ErrorCode code = error.getCode();
        if (code == ErrorCode.OK) {
            if (target.hint() == null && call.needsLeader()) {
                // Only the leader serves this call, so the voter that answered leads: the next
                // requests go straight to it instead of trying the voters in order again, which
                // costs an attempt timeout each time the first one is frozen or cut off.
                context.hints().put(group, new LeaderHints.Hint(target.serverId(), target.address()));
            }
            result.complete(response);
            return;
        }
        lastFailure = new KvException(code, call.describe() + " on server " + target.serverId() + " ("
                + target.address() + "): " + code + (error.getMessage().isEmpty() ? "" : ": " + error.getMessage()));
        switch (code) {
            case NOT_LEADER -> handleNotLeader(table, group, target, error);
            case WRONG_GROUP -> {
                if (error.getOwnerGroupId() != 0 && error.getOwnerGroupId() != group) {
                    // The group gave the slot away and says to whom: go there now, the map follows.
                    context.slotRoutes().learn(error.getSlot(), error.getOwnerGroupId(), error.getSlotEpoch());
                    if (redirects++ < MAX_IMMEDIATE_REDIRECTS) {
                        attempt();
                        return;
                    }
                }
                // The map may have moved the slot, or this server may no longer host the group.
                moveOn(table, group, target);
                retryLater(true, table);
            }
            case SLOT_MIGRATING, SERVER_BUSY -> retryLater(false, null);
            case TIMEOUT -> {
                outcomeUnknown = true;
                retryLater(false, null);
            }
            case UNAVAILABLE -> {
                outcomeUnknown = true;
                moveOn(table, group, target);
                retryLater(false, null);
            }
            case SESSION_EXPIRED -> result.completeExceptionally(new SessionExpiredException(call.describe()
                    + " on server " + target.serverId() + ": " + error.getMessage()
                    + (outcomeUnknown ? "; an earlier attempt may or may not have applied" : ""),
                    error.getSessionHorizon(), !outcomeUnknown));
            default -> result.completeExceptionally(new KvException(code,
                    error.getMessage().isEmpty() ? call.describe() + " failed: " + code : error.getMessage()));
        }
    }

    private void handleNotLeader(RoutingTable table, long group, Target target, KvError error) {
        LeaderHints hints = context.hints();
        boolean hinted = false;
        if (!error.getLeaderAddress().isEmpty() && !error.getLeaderAddress().equals(target.address())) {
            hints.put(group, new LeaderHints.Hint(error.getLeaderId(), error.getLeaderAddress()));
            hinted = true;
        } else if (error.getLeaderId() != 0 && error.getLeaderId() != target.serverId()) {
            hints.put(group, new LeaderHints.Hint(error.getLeaderId(), null));
            hinted = true;
        } else {
            moveOn(table, group, target);
        }
        if (hinted && redirects++ < MAX_IMMEDIATE_REDIRECTS) {
            attempt();
        } else {
            retryLater(false, null);
        }
    }

    private void handleRpcFailure(RoutingTable table, long group, Target target, Throwable t) {
        Status status = Status.fromThrowable(t);
        Status.Code code = status.getCode();
        String description = MetaCaller.describe(status);
        // UNKNOWN, INTERNAL and CANCELLED leave the outcome unknown too: a write keeps its
        // sequence across the retry, so it still applies at most once.
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.UNKNOWN
                || code == Status.Code.INTERNAL || code == Status.Code.CANCELLED) {
            outcomeUnknown = true;
            lastFailure = new KvException(ErrorCode.UNAVAILABLE,
                    call.describe() + ": server " + target.serverId() + " (" + target.address() + "): " + description, t);
            context.channels().resetConnectBackoff(target.address());
            moveOn(table, group, target);
            unreachable++;
            // After a round of unreachable voters the map may be out of date (a new address).
            boolean refresh = unreachable % Math.max(1, table.voters(group).size()) == 0;
            retryLater(refresh, refresh ? table : null);
            return;
        }
        if (code == Status.Code.PERMISSION_DENIED) {
            result.completeExceptionally(new KvException(ErrorCode.PERMISSION_DENIED,
                    call.describe() + " refused by server " + target.serverId() + ": " + status.getDescription(), t));
            return;
        }
        result.completeExceptionally(new KvException(ErrorCode.UNAVAILABLE,
                call.describe() + " failed on server " + target.serverId() + " (" + target.address() + "): "
                        + description, t));
    }

    /**
     * Stop preferring {@code target}: drop its hint, if it was one, and rotate the voters past
     * it, so that the next attempt does not go straight back to the server that just failed.
     */
    private void moveOn(RoutingTable table, long group, Target target) {
        if (target.hint() != null) {
            context.hints().forget(group, target.hint());
            List<Long> voters = table.voters(group);
            if (!voters.isEmpty() && voters.get(Math.floorMod(rotation, voters.size())) == target.serverId()) {
                rotation++;
            }
        } else {
            rotation++;
        }
    }

    /**
     * Retries after a backoff, refreshing the map first when {@code staleTable} is given;
     * a refresh that brings a newer map retries at once.
     */
    private void retryLater(boolean refresh, RoutingTable staleTable) {
        long remaining = remainingMillis();
        if (remaining <= 0) {
            timeOut();
            return;
        }
        long delay = Math.min(remaining, context.backoff().delayMillis(retries++));
        if (refresh && staleTable != null) {
            // A fetch already under way is shared and may run longer than this request may wait:
            // wait on a copy of it, bounded by this request's deadline.
            context.maps().refresh(staleTable.version(), Duration.ofMillis(metaBudget(remaining)))
                    .thenApply(t -> t).orTimeout(Math.max(1, remaining), TimeUnit.MILLISECONDS)
                    .whenComplete((fresh, error) -> {
                        if (error == null && fresh.version() > staleTable.version()) {
                            attempt();
                        } else {
                            Throwable cause = error == null ? null : unwrap(error);
                            if (cause != null && !(cause instanceof TimeoutException)) {
                                lastFailure = cause;
                            }
                            schedule(delay);
                        }
                    });
            return;
        }
        schedule(delay);
    }

    private void schedule(long delayMillis) {
        try {
            context.timer().schedule(this::attempt, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            // The timer rejects work only once the client is closed.
            result.completeExceptionally(new IllegalStateException("the client is closed", e));
        }
    }

    private void timeOut() {
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String message = call.describe() + " did not complete within " + context.requestDeadline().toMillis()
                + " ms (took " + tookMillis + " ms)"
                + (lastFailure == null ? "" : ": " + lastFailure.getMessage());
        result.completeExceptionally(new KvTimeoutException(message, lastFailure));
    }

    static Throwable unwrap(Throwable t) {
        Throwable cause = t;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Where one attempt goes; {@code hint} is set when a leader hint chose it. */
    private record Target(long serverId, String address, LeaderHints.Hint hint) {
    }
}

package io.shardkv.client;

import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.OpType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Gathers single-key requests bound for the same group while earlier ones are in flight, and
 * sends those gathered as ONE batch (ProcessRwOperation): one request and one answer for many,
 * one log entry and one synced write for its writes, and for its reads either one read-index
 * round (a batch of reads only) or none (they read after the batch's writes applied). Each
 * would otherwise pay the request's fixed costs (HTTP/2 frames, headers, a proposal or a
 * read-index round, an answer) on the client and on the servers.
 *
 * <p>Writes (puts, deletes) and reads (linearizable gets) of a group are gathered together, so
 * that a mix of both makes one batch, not one of each. Up to {@code maxInFlightPerGroup} go out
 * to a group at once, each on its own, so a client with few requests at a time sends them as it
 * always did and waits for nothing. Beyond that, requests wait here until one of those
 * completes, then go together (as many as a batch may hold; the rest wait for the next
 * completion). No timer is involved: a batch leaves as soon as the group has room, which is the
 * moment a lone request would have been answered.
 *
 * <p>A batch's writes are applied whole or not at all, at one point in the log, and its reads
 * read at one point (after the writes, when there are any): both points lie within every one of
 * its requests' lifetimes, so each request is still linearizable, and each keeps its own result.
 * If, while retrying, the batch's keys turn out to belong to several groups (slots moved), the
 * batch cannot be sent as it is: its reads, and its writes if no attempt of the batch may have
 * applied, are sent again one by one; otherwise the writes fail, saying the outcome is unknown.
 * The reads of a batch refused as invalid (a batch of reads whose answer would be too large)
 * are sent again one by one too.
 *
 * <p>Thread-safe; the lanes are guarded by this object, sends happen outside the lock.
 */
final class RequestBatcher {
    /** Requests of one batch, at most; far under what a batch may carry in bytes for small values. */
    static final int MAX_OPS_PER_BATCH = 256;

    /** Sends requests: the client's ordinary paths, given how long each request has waited. */
    interface Sink {
        /** One request on its own (put, delete or linearizable get), as if there were no batching. */
        CompletableFuture<BatchResult> sendAlone(BatchOp op, long startNanos);

        /** Several requests (writes, reads or both) of one group as one batch. */
        CompletableFuture<List<BatchResult>> sendBatch(List<BatchOp> ops, long startNanos);
    }


    private record Pending(BatchOp op, long startNanos, CompletableFuture<BatchResult> result) {
    }

    /** One group's requests: how many are out, and those waiting for room. */
    private static final class Lane {
        int inFlight;
        final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    }

    private final Sink sink;
    private final int maxInFlightPerGroup;
    private final long maxBatchBytes;
    // Guarded by this. A lane exists while it has requests out or waiting.
    private final Map<Long, Lane> lanes = new HashMap<>();
    // Guarded by this; set once, by close().
    private Throwable closedWith;

    /**
     * @param maxInFlightPerGroup requests to one group out at once before more wait
     *                            and are batched; at least 1
     * @param maxBatchBytes       key and value bytes a batch may carry
     */
    RequestBatcher(Sink sink, int maxInFlightPerGroup, long maxBatchBytes) {
        if (maxInFlightPerGroup < 1) {
            throw new IllegalArgumentException("maxInFlightPerGroup must be at least 1, got " + maxInFlightPerGroup);
        }
        this.sink = sink;
        this.maxInFlightPerGroup = maxInFlightPerGroup;
        this.maxBatchBytes = maxBatchBytes;
    }

    /**
     * Sends {@code op}, a checked put, delete or linearizable get whose key {@code group} owns in
     * the client's current map, at once or with the next batch to that group.
     */
    CompletableFuture<BatchResult> submit(long group, BatchOp op) {
        Pending p = new Pending(op, System.nanoTime(), new CompletableFuture<>());
        boolean sendNow;
        synchronized (this) {
            if (closedWith != null) {
                return CompletableFuture.failedFuture(closedWith);
            }
            Lane lane = lanes.computeIfAbsent(group, g -> new Lane());
            sendNow = lane.inFlight < maxInFlightPerGroup && lane.waiting.isEmpty();
            if (sendNow) {
                lane.inFlight++;
            } else {
                lane.waiting.add(p);
            }
        }
        if (sendNow) {
            send(group, List.of(p));
        }
        return p.result();
    }

    /** Fails every waiting request and each one submitted from now on with {@code why}. */
    void close(Throwable why) {
        List<Pending> failed = new ArrayList<>();
        synchronized (this) {
            if (closedWith != null) {
                return;
            }
            closedWith = why;
            for (Lane lane : lanes.values()) {
                failed.addAll(lane.waiting);
                lane.waiting.clear();
            }
        }
        for (Pending p : failed) {
            p.result().completeExceptionally(why);
        }
    }

    /** Requests waiting in all lanes; for tests. */
    synchronized int waiting() {
        int n = 0;
        for (Lane lane : lanes.values()) {
            n += lane.waiting.size();
        }
        return n;
    }

    private void send(long group, List<Pending> batch) {
        CompletableFuture<?> done;
        if (batch.size() == 1) {
            Pending p = batch.get(0);
            done = sendAlone(p).whenComplete((r, e) -> complete(p, r, e));
        } else {
            List<BatchOp> ops = new ArrayList<>(batch.size());
            long start = Long.MAX_VALUE;
            for (Pending p : batch) {
                ops.add(p.op());
                start = Math.min(start, p.startNanos());
            }
            // The deadline counts from the request that waited longest.
            CompletableFuture<List<BatchResult>> answer;
            try {
                answer = sink.sendBatch(ops, start);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            done = answer.whenComplete((results, e) -> completeAll(batch, results, e));
        }
        done.whenComplete((r, e) -> sent(group));
    }

    /** The sink's answer for one request; a sink that throws fails it, and its lane goes on. */
    private CompletableFuture<BatchResult> sendAlone(Pending p) {
        try {
            return sink.sendAlone(p.op(), p.startNanos());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A request to {@code group} ended: the next batch of its waiting requests takes its place. */
    private void sent(long group) {
        List<List<Pending>> next = new ArrayList<>();
        synchronized (this) {
            Lane lane = lanes.get(group);
            lane.inFlight--;
            while (lane.inFlight < maxInFlightPerGroup && !lane.waiting.isEmpty()) {
                next.add(takeBatch(lane));
                lane.inFlight++;
            }
            if (lane.inFlight == 0) {
                lanes.remove(group);
            }
        }
        for (List<Pending> batch : next) {
            send(group, batch);
        }
    }

    /** The oldest waiting requests, as many as one batch may carry (always at least one). */
    private List<Pending> takeBatch(Lane lane) {
        List<Pending> batch = new ArrayList<>();
        long bytes = 0;
        while (!lane.waiting.isEmpty() && batch.size() < MAX_OPS_PER_BATCH) {
            Pending p = lane.waiting.peek();
            long size = (long) p.op().key().length + p.op().value().length;
            if (!batch.isEmpty() && bytes + size > maxBatchBytes) {
                break;
            }
            bytes += size;
            batch.add(lane.waiting.poll());
        }
        return batch;
    }

    private static void complete(Pending p, BatchResult result, Throwable failure) {
        if (failure == null) {
            p.result().complete(result);
        } else {
            p.result().completeExceptionally(KvRequest.unwrap(failure));
        }
    }

    private void completeAll(List<Pending> batch, List<BatchResult> results, Throwable failure) {
        if (failure == null) {
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.get(i));
            }
            return;
        }
        Throwable cause = KvRequest.unwrap(failure);
        for (Pending p : batch) {
            if (sendAgainAlone(p.op(), cause)) {
                // On its own, routed by the new map.
                sendAlone(p).whenComplete((r, e) -> complete(p, r, e));
            } else {
                p.result().completeExceptionally(cause);
            }
        }
    }

    /**
     * Whether {@code op} of a batch that failed with {@code cause} may be sent again on its own:
     * a read always may; a write only if the batch cannot have applied.
     */
    private static boolean sendAgainAlone(BatchOp op, Throwable cause) {
        boolean read = op.type() == OpType.GET;
        if (cause instanceof KvCalls.BatchSplitException split) {
            return read || !split.mayHaveApplied();
        }
        // A batch of reads whose answer would be too large is refused whole; alone, each is answered.
        return read && cause instanceof KvException e && e.code() == ErrorCode.INVALID_ARGUMENT;
    }
}

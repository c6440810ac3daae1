package io.shardkv.raft.sim;

import java.util.SplittableRandom;
import java.util.function.ToLongFunction;

/**
 * A simulated network between numbered nodes, carrying payloads of any type (Raft messages here;
 * batched multi-group envelopes in other modules). Every send draws its fate from the seeded
 * random source: lost, duplicated, and delayed by a random amount, so messages overtake each
 * other. Links can be cut in either direction through {@link #links()}; a cut link drops what is
 * sent on it and what arrives over it. Fault settings can change at any time during a run.
 *
 * <p>A real transport notices, some time later, that a stream broke. The simulation models that
 * by telling the {@link Endpoints} about every payload that was not delivered, one failure delay
 * after the send (or at the moment it arrives at a down node), so the sender can for example
 * report a failed snapshot to its Raft core.
 *
 * @param <P> payload type; payloads must be immutable, as duplicates share the same object
 */
public final class SimNetwork<P> {

    /** The nodes at the ends of the network. */
    public interface Endpoints<P> {
        /** Whether {@code node} is running; payloads arriving at a down node are lost. */
        boolean isUp(long node);

        /** Hands {@code payload} to {@code to}. */
        void deliver(long from, long to, P payload);

        /** {@code payload} from {@code from} did not arrive at {@code to}; the sender learns it now. */
        void undeliverable(long from, long to, P payload, DropCause cause);
    }

    /**
     * Why a payload was not delivered: lost or sent over a cut link (the sender hears one failure
     * delay later), or, on arrival, the link had been cut meanwhile or the target was down.
     */
    public enum DropCause { LOST, PARTITIONED, CUT_IN_FLIGHT, TARGET_DOWN }

    private final SimEventQueue queue;
    private final SplittableRandom random;
    private final Endpoints<P> endpoints;
    private final ToLongFunction<P> digester;
    private final LinkFilter links = new LinkFilter();

    private double lossProbability;
    private double duplicateProbability;
    // Invariant: 1 <= minDelay <= maxDelay; a delay of at least one unit keeps sends asynchronous.
    private long minDelay = 1;
    private long maxDelay = 1;
    private long failureNoticeDelay = 10;

    private long sent;
    private long delivered;
    private long dropped;

    /**
     * @param digester a stable hash of a payload, folded into trace digests (never an identity hash)
     */
    public SimNetwork(SimEventQueue queue, SplittableRandom random, Endpoints<P> endpoints,
                      ToLongFunction<P> digester) {
        this.queue = queue;
        this.random = random;
        this.endpoints = endpoints;
        this.digester = digester;
    }

    /** Sets the per-send probabilities of losing and of duplicating a payload. */
    public void setFaults(double loss, double duplicate) {
        if (loss < 0 || loss >= 1 || duplicate < 0 || duplicate >= 1) {
            throw new IllegalArgumentException("probabilities out of range: " + loss + ", " + duplicate);
        }
        this.lossProbability = loss;
        this.duplicateProbability = duplicate;
    }

    /** Sets the range of one-way delays, in time units; each copy draws its own delay. */
    public void setDelay(long min, long max) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("bad delay range [" + min + ", " + max + "]");
        }
        this.minDelay = min;
        this.maxDelay = max;
    }

    /** Sets how long after a failed send the sender hears of it. */
    public void setFailureNoticeDelay(long delay) {
        this.failureNoticeDelay = Math.max(1, delay);
    }

    public LinkFilter links() {
        return links;
    }

    public double lossProbability() {
        return lossProbability;
    }

    public double duplicateProbability() {
        return duplicateProbability;
    }

    public void send(long from, long to, P payload) {
        sent++;
        if (links.isBlocked(from, to)) {
            failLater(from, to, payload, DropCause.PARTITIONED);
            return;
        }
        if (lossProbability > 0 && random.nextDouble() < lossProbability) {
            failLater(from, to, payload, DropCause.LOST);
            return;
        }
        int copies = duplicateProbability > 0 && random.nextDouble() < duplicateProbability ? 2 : 1;
        long digest = digester.applyAsLong(payload);
        for (int i = 0; i < copies; i++) {
            long delay = minDelay + (maxDelay > minDelay ? random.nextLong(maxDelay - minDelay + 1) : 0);
            queue.at(queue.now() + delay, "deliver", to, payload, digest, () -> arrive(from, to, payload));
        }
    }

    private void arrive(long from, long to, P payload) {
        if (!endpoints.isUp(to)) {
            dropped++;
            endpoints.undeliverable(from, to, payload, DropCause.TARGET_DOWN);
        } else if (links.isBlocked(from, to)) {
            dropped++;
            endpoints.undeliverable(from, to, payload, DropCause.CUT_IN_FLIGHT);
        } else {
            delivered++;
            endpoints.deliver(from, to, payload);
        }
    }

    private void failLater(long from, long to, P payload, DropCause cause) {
        dropped++;
        queue.at(queue.now() + failureNoticeDelay, "undeliverable", from, cause, cause.ordinal(),
                () -> endpoints.undeliverable(from, to, payload, cause));
    }

    public long sentCount() {
        return sent;
    }

    public long deliveredCount() {
        return delivered;
    }

    public long droppedCount() {
        return dropped;
    }
}

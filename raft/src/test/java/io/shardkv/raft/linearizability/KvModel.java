package io.shardkv.raft.linearizability;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Sequential specification of a key-value map with put, get and delete, for
 * {@link LinearizabilityChecker}.
 *
 * <p>Keys never interact, so histories are partitioned by key and each key is checked as a single
 * register whose state is its current value (empty when absent). Splitting by key is what keeps
 * checking of large histories tractable. Gets whose outcome is unknown are dropped while
 * partitioning, as they can neither constrain nor change any state; {@link #reduce} then removes
 * or narrows timed-out writes and refutes reads no write explains (see {@link KvPartReduction}).
 */
public final class KvModel implements Model<Optional<String>, KvInput, KvOutput> {

    /** The model is stateless; share this instance. */
    public static final KvModel INSTANCE = new KvModel();

    private KvModel() {
    }

    /** A checker for key-value histories with the default step budget. */
    public static LinearizabilityChecker<Optional<String>, KvInput, KvOutput> checker() {
        return new LinearizabilityChecker<>(INSTANCE);
    }

    /** A checker for key-value histories with the given per-key step budget. */
    public static LinearizabilityChecker<Optional<String>, KvInput, KvOutput> checker(long maxStepsPerKey) {
        return new LinearizabilityChecker<>(INSTANCE, maxStepsPerKey);
    }

    @Override
    public Optional<String> init() {
        return Optional.empty();
    }

    @Override
    public Set<Optional<String>> step(Optional<String> value, KvInput input, Optional<KvOutput> output) {
        if (input instanceof KvInput.Get) {
            if (output.isEmpty()) {
                return Set.of(value); // a read with no observed result changes nothing
            }
            KvOutput.Read read = expect(KvOutput.Read.class, input, output.get());
            return read.value().equals(value) ? Set.of(value) : Set.of();
        }
        output.ifPresent(o -> expect(KvOutput.Ack.class, input, o));
        if (input instanceof KvInput.Put put) {
            return Set.of(Optional.of(put.value()));
        }
        return Set.of(Optional.empty()); // delete
    }

    /**
     * A mismatched output kind is a bug in the test harness, not a consistency violation, so it is
     * reported loudly rather than as an illegal history.
     */
    private static <T extends KvOutput> T expect(Class<T> kind, KvInput input, KvOutput output) {
        if (!kind.isInstance(output)) {
            throw new IllegalArgumentException(
                    input + " cannot produce output " + output + " (" + output.getClass().getSimpleName() + ")");
        }
        return kind.cast(output);
    }

    @Override
    public List<List<Operation<KvInput, KvOutput>>> partition(List<Operation<KvInput, KvOutput>> history) {
        // LinkedHashMap keeps partitions in order of first appearance, so runs are reproducible.
        Map<String, List<Operation<KvInput, KvOutput>>> byKey = new LinkedHashMap<>();
        for (Operation<KvInput, KvOutput> op : history) {
            if (op.isUnknown() && op.input() instanceof KvInput.Get) {
                // Nobody saw its result and it changes nothing, so it cannot affect the verdict;
                // leaving it in would only double the configurations the search may visit.
                continue;
            }
            byKey.computeIfAbsent(op.input().key(), k -> new ArrayList<>()).add(op);
        }
        return List.copyOf(byKey.values());
    }

    /** Drops, pins or refutes operations by the rules of {@link KvPartReduction}, each argued there. */
    @Override
    public Reduction<KvInput, KvOutput> reduce(List<Operation<KvInput, KvOutput>> part) {
        return KvPartReduction.reduce(part);
    }

    @Override
    public String describePartition(List<Operation<KvInput, KvOutput>> part) {
        return part.isEmpty() ? "no key" : "key \"" + part.get(0).input().key() + "\"";
    }

    @Override
    public String describeState(Optional<String> value) {
        return value.orElse("<absent>");
    }
}

package io.shardkv.raft.linearizability;

import java.util.List;
import java.util.Optional;

/** Terse builders for hand-written key-value histories in tests. */
final class KvOps {

    private KvOps() {
    }

    static Operation<KvInput, KvOutput> put(long client, String key, String value, long call, long ret) {
        return Operation.completed(client, KvInput.put(key, value), KvOutput.ack(), call, ret);
    }

    static Operation<KvInput, KvOutput> get(long client, String key, String value, long call, long ret) {
        return Operation.completed(client, KvInput.get(key), KvOutput.read(value), call, ret);
    }

    static Operation<KvInput, KvOutput> getAbsent(long client, String key, long call, long ret) {
        return Operation.completed(client, KvInput.get(key), KvOutput.absent(), call, ret);
    }

    static Operation<KvInput, KvOutput> delete(long client, String key, long call, long ret) {
        return Operation.completed(client, KvInput.delete(key), KvOutput.ack(), call, ret);
    }

    static Operation<KvInput, KvOutput> unknownPut(long client, String key, String value, long call) {
        return Operation.unknown(client, KvInput.put(key, value), call);
    }

    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    static CheckReport<KvInput, KvOutput> check(Operation<KvInput, KvOutput>... ops) {
        return check(List.of(ops));
    }

    static CheckReport<KvInput, KvOutput> check(List<Operation<KvInput, KvOutput>> ops) {
        return KvModel.checker().check(ops);
    }

    static LinearizabilityChecker<Optional<String>, KvInput, KvOutput> checkerWithBudget(long steps) {
        return KvModel.checker(steps);
    }
}

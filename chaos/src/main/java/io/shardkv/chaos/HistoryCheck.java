package io.shardkv.chaos;

import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.CheckResult;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvModel;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.LinearizabilityChecker;
import io.shardkv.raft.linearizability.Operation;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;

/**
 * The linearizability check of the clients' history, key by key, and the history file. Each key is
 * checked on its own (keys never interact in the model), so every key that is not linearizable is
 * counted, not only the first; the checker numbers a key's operations from 0 ({@code op#N}), and the
 * history file numbers them the same way under the key's heading.
 */
final class HistoryCheck {
    /** Search steps per key before it is called undecided; far above what a run's key needs. */
    static final long STEPS_PER_KEY = 20_000_000L;

    private HistoryCheck() {
    }

    /**
     * The verdict on the whole history.
     *
     * @param anomalies    keys proved not linearizable, with the checker's explanation of each
     * @param undecided    keys whose search ran out of steps
     */
    record Result(Map<String, String> anomalies, List<String> undecided) {
    }

    static Map<String, List<Operation<KvInput, KvOutput>>> byKey(List<Operation<KvInput, KvOutput>> history) {
        Map<String, List<Operation<KvInput, KvOutput>>> byKey = new LinkedHashMap<>();
        for (Operation<KvInput, KvOutput> op : history) {
            byKey.computeIfAbsent(op.input().key(), k -> new ArrayList<>()).add(op);
        }
        return byKey;
    }

    static Result check(List<Operation<KvInput, KvOutput>> history) {
        LinearizabilityChecker<?, KvInput, KvOutput> checker = KvModel.checker(STEPS_PER_KEY);
        Map<String, String> anomalies = new LinkedHashMap<>();
        List<String> undecided = new ArrayList<>();
        byKey(history).forEach((key, ops) -> {
            CheckReport<KvInput, KvOutput> report = checker.check(ops);
            if (report.result() == CheckResult.ILLEGAL) {
                anomalies.put(key, report.explain());
            } else if (report.result() == CheckResult.UNKNOWN) {
                undecided.add(key);
            }
        });
        return new Result(anomalies, undecided);
    }

    /**
     * Writes the history: the checked keys, each under its heading with its operations numbered as
     * the checker numbers them, then the write-once keys. Times are microseconds since the start;
     * {@code inf)} marks an operation whose outcome is unknown.
     */
    static void write(Path file, String header, List<Operation<KvInput, KvOutput>> history, LongPredicate leaseRead,
                      LongFunction<Optional<String>> failure, List<Operation<KvInput, KvOutput>> onceHistory) {
        Map<Operation<KvInput, KvOutput>, Integer> index = new java.util.IdentityHashMap<>();
        for (int i = 0; i < history.size(); i++) {
            index.put(history.get(i), i);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(header);
            w.write("# times: microseconds since the start; [call, return] or [call, inf) when the outcome is unknown\n");
            for (Map.Entry<String, List<Operation<KvInput, KvOutput>>> e : byKey(history).entrySet()) {
                w.write("\n## key " + e.getKey() + ": " + e.getValue().size() + " operations\n");
                int n = 0;
                for (Operation<KvInput, KvOutput> op : e.getValue()) {
                    int at = index.get(op);
                    String why = failure.apply(at).map(f -> " (" + f + ")").orElse("");
                    w.write("op#" + n++ + " " + line(op, leaseRead.test(at)) + why + "\n");
                }
            }
            w.write("\n## write-once keys: " + onceHistory.size() + " operations (puts, then the read-backs)\n");
            for (Operation<KvInput, KvOutput> op : onceHistory) {
                w.write(line(op, false) + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String line(Operation<KvInput, KvOutput> op, boolean lease) {
        String client = op.clientId() == Workload.FINAL_READER ? "final" : "client " + op.clientId();
        String end = op.isUnknown() ? "inf)" : op.returnTime() + "]";
        return client + " [" + op.callTime() + ", " + end + " " + op.input() + (lease ? " LEASE" : "") + " -> "
                + (op.isUnknown() ? "?" : String.valueOf(op.output()));
    }
}

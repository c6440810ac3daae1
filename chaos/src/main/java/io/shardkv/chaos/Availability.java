package io.shardkv.chaos;

import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How long writes could not be made, from the history alone (times in microseconds on the run's
 * clock). A write counts once it was acknowledged; the clients try every key all the time, so a
 * gap between acknowledged writes of a key is a time it could not be written.
 */
final class Availability {
    private Availability() {
    }

    /** The longest time key {@code key} went without an acknowledged write, from {@code from} to {@code to}. */
    record Gap(String key, long fromMicros, long toMicros) {
        long micros() {
            return toMicros - fromMicros;
        }
    }

    /**
     * For a fault: how long after it began every key had a write acknowledged that was called
     * after it began; empty when some key had none by the end of the history.
     */
    record Resumption(FaultRecord fault, OptionalLong afterMicros) {
    }

    /** The longest gap over all keys between acknowledged writes, or from {@code start} to the first / the last to {@code end}. */
    static Gap longestGap(List<Operation<KvInput, KvOutput>> history, List<String> keys, long startMicros,
                          long endMicros) {
        Map<String, List<Long>> acks = acknowledgedWrites(history);
        Gap longest = new Gap(keys.isEmpty() ? "" : keys.get(0), startMicros, startMicros);
        for (String key : keys) {
            long previous = startMicros;
            List<Long> times = new ArrayList<>(acks.getOrDefault(key, List.of()));
            times.add(endMicros);
            times.sort(Long::compare);
            for (long t : times) {
                long at = Math.min(Math.max(t, startMicros), endMicros);
                if (at - previous > longest.micros()) {
                    longest = new Gap(key, previous, at);
                }
                previous = Math.max(previous, at);
            }
        }
        return longest;
    }

    /** For each fault, when writes to every key succeeded again (see {@link Resumption}). */
    static List<Resumption> resumptions(List<Operation<KvInput, KvOutput>> history, List<String> keys,
                                        List<FaultRecord> faults) {
        List<Resumption> out = new ArrayList<>();
        for (FaultRecord fault : faults) {
            long worst = 0;
            boolean all = true;
            for (String key : keys) {
                long first = Long.MAX_VALUE;
                for (Operation<KvInput, KvOutput> op : history) {
                    if (isAcknowledgedWrite(op) && op.input().key().equals(key) && op.callTime() >= fault.startMicros()) {
                        first = Math.min(first, op.returnTime());
                    }
                }
                if (first == Long.MAX_VALUE) {
                    all = false;
                    break;
                }
                worst = Math.max(worst, first - fault.startMicros());
            }
            out.add(new Resumption(fault, all ? OptionalLong.of(worst) : OptionalLong.empty()));
        }
        return out;
    }

    private static Map<String, List<Long>> acknowledgedWrites(List<Operation<KvInput, KvOutput>> history) {
        Map<String, List<Long>> acks = new HashMap<>();
        for (Operation<KvInput, KvOutput> op : history) {
            if (isAcknowledgedWrite(op)) {
                acks.computeIfAbsent(op.input().key(), k -> new ArrayList<>()).add(op.returnTime());
            }
        }
        return acks;
    }

    private static boolean isAcknowledgedWrite(Operation<KvInput, KvOutput> op) {
        return !op.isUnknown() && !(op.input() instanceof KvInput.Get);
    }
}

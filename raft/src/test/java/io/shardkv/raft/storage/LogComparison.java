package io.shardkv.raft.storage;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.LogStorage;
import java.util.List;
import java.util.Map;

/** Compares the engine's groups with {@link MemoryLogStorage} models of what they must hold. */
final class LogComparison {

    private LogComparison() {
    }

    /**
     * The first difference between the engine's groups and the models (bounds, hard state,
     * membership, term at the truncation point, every entry), or null when there is none.
     */
    static String difference(RocksLogEngine engine, Map<Long, MemoryLogStorage> models) {
        if (!engine.groupIds().equals(List.copyOf(models.keySet()))) {
            return "groups " + engine.groupIds() + ", expected " + models.keySet();
        }
        for (Map.Entry<Long, MemoryLogStorage> e : models.entrySet()) {
            String d = difference(e.getKey(), engine.group(e.getKey()).orElseThrow(), e.getValue());
            if (d != null) {
                return d;
            }
        }
        return null;
    }

    static String difference(long g, LogStorage actual, LogStorage expected) {
        long first = expected.firstIndex();
        long last = expected.lastIndex();
        if (actual.firstIndex() != first || actual.lastIndex() != last) {
            return "group " + g + " log [" + actual.firstIndex() + "," + actual.lastIndex() + "], expected ["
                    + first + "," + last + "]";
        }
        // confStateIndex is left out: the in-memory model names its snapshot index, the engine
        // leaves it 0 meaning "the truncation point"; both describe the same membership.
        if (!actual.initialState().hardState().equals(expected.initialState().hardState())
                || !actual.initialState().confState().equals(expected.initialState().confState())) {
            return "group " + g + " " + actual.initialState() + ", expected " + expected.initialState();
        }
        if (actual.term(first - 1) != expected.term(first - 1)) {
            return "group " + g + " term at truncation point " + (first - 1) + " is " + actual.term(first - 1)
                    + ", expected " + expected.term(first - 1);
        }
        List<Entry> actualEntries = actual.entries(first, last + 1, Long.MAX_VALUE);
        List<Entry> expectedEntries = expected.entries(first, last + 1, Long.MAX_VALUE);
        for (int i = 0; i < expectedEntries.size(); i++) {
            if (i >= actualEntries.size() || !actualEntries.get(i).equals(expectedEntries.get(i))) {
                return "group " + g + " entry " + expectedEntries.get(i) + " is "
                        + (i < actualEntries.size() ? actualEntries.get(i) : "missing");
            }
        }
        return null;
    }
}

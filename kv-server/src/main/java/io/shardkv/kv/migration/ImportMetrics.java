package io.shardkv.kv.migration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What this server's importers brought in, by kind of page (data, journal, sessions). */
final class ImportMetrics {
    private final Counter dataBytes;
    private final Counter dataKeys;
    private final Counter journalRecords;
    private final Counter sessions;
    private final Counter failedSteps;

    ImportMetrics(MeterRegistry registry) {
        dataBytes = Counter.builder("shardkv.kv.migration.imported.bytes")
                .description("Bytes of slot data pulled and proposed by importers").register(registry);
        dataKeys = Counter.builder("shardkv.kv.migration.imported.keys")
                .description("Keys of slot data pulled and proposed by importers").register(registry);
        journalRecords = Counter.builder("shardkv.kv.migration.imported.journal")
                .description("Source journal records replayed by importers").register(registry);
        sessions = Counter.builder("shardkv.kv.migration.imported.sessions")
                .description("Client sessions merged by importers").register(registry);
        failedSteps = Counter.builder("shardkv.kv.migration.import.retries")
                .description("Import steps that failed and were retried (source unreachable, proposal lost)")
                .register(registry);
    }

    void data(int keys, long bytes) {
        dataKeys.increment(keys);
        dataBytes.increment(bytes);
    }

    void journal(int records) {
        journalRecords.increment(records);
    }

    void sessions(int count) {
        sessions.increment(count);
    }

    void retry() {
        failedSteps.increment();
    }
}

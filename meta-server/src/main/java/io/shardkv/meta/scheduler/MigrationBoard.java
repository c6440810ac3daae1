package io.shardkv.meta.scheduler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.meta.proto.MigrationProgress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What the meta leader last heard of each slot move in flight: the target's import progress, and
 * when the move was first seen and when its freeze began. Kept in memory, not in the map, so that
 * progress does not bump the map's version (every client would fetch it again); a new leader
 * starts with nothing and fills it on its first pass. Thread-safe.
 */
public final class MigrationBoard {
    private record Entry(long firstSeenMillis, long frozenSinceMillis, MigrationProgress progress, boolean done) {
        Entry(long firstSeenMillis, long frozenSinceMillis, MigrationProgress progress) {
            this(firstSeenMillis, frozenSinceMillis, progress, false);
        }
    }

    private final Map<Long, Entry> entries = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final MeterRegistry registry;
    private final Timer freezeWindow;

    /** @param clock milliseconds, monotonic */
    public MigrationBoard(LongSupplier clock) {
        this(clock, new SimpleMeterRegistry());
    }

    /**
     * @param clock    milliseconds, monotonic
     * @param registry where the moves' outcomes, phases and freeze windows are counted
     */
    public MigrationBoard(LongSupplier clock, MeterRegistry registry) {
        this.clock = clock;
        this.registry = registry;
        this.freezeWindow = Timer.builder("shardkv.meta.migration.freeze")
                .description("How long moving slots were frozen: from the source's freeze to the target's activation")
                .publishPercentileHistogram().register(registry);
        // Registered up front, so dashboards and alerts see zeros rather than no series at all.
        for (String outcome : new String[] {"done", "aborted"}) {
            outcomes(outcome);
        }
        for (MoveSlotsTask.Step step : MoveSlotsTask.Step.values()) {
            if (step != MoveSlotsTask.Step.NEW) {
                steps(step.recorded());
            }
        }
    }

    private Counter outcomes(String outcome) {
        return Counter.builder("shardkv.meta.migrations").description("Slot moves finished, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    private Counter steps(String step) {
        return Counter.builder("shardkv.meta.migration.steps").description("Slot-move steps reached, by step")
                .tag("step", step).register(registry);
    }

    public static MigrationBoard systemClock() {
        return new MigrationBoard(() -> System.nanoTime() / 1_000_000);
    }

    public static MigrationBoard systemClock(MeterRegistry registry) {
        return new MigrationBoard(() -> System.nanoTime() / 1_000_000, registry);
    }

    /** Counts a move reaching a phase (the step it recorded). */
    void reached(String step) {
        steps(step).increment();
    }

    /** The target serves the slots now: the freeze window, as this leader saw it, is over. */
    void activated(long taskId) {
        Entry e = entries.get(taskId);
        if (e != null && e.frozenSinceMillis() != 0) {
            freezeWindow.record(clock.getAsLong() - e.frozenSinceMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Records the target's answer to a status call. */
    void report(long taskId, MigrationResponse r) {
        long now = clock.getAsLong();
        entries.compute(taskId, (id, old) -> {
            long first = old == null ? now : old.firstSeenMillis();
            long elapsed = Math.max(1, now - first);
            MigrationProgress p = MigrationProgress.newBuilder().setPhase(r.getPhase()).setKeysCopied(r.getKeysCopied())
                    .setBytesCopied(r.getBytesCopied()).setJournalLag(r.getJournalLag())
                    .setBytesEstimate(r.getBytesEstimate()).setElapsedMillis(elapsed)
                    .setBytesPerSecond(r.getBytesCopied() * 1000.0 / elapsed).setLastError(r.getLastError()).build();
            return new Entry(first, old == null ? 0 : old.frozenSinceMillis(), p);
        });
    }

    /** Notes that the move's source froze now (unless already noted); returns when it froze. */
    long frozen(long taskId) {
        long now = clock.getAsLong();
        Entry e = entries.compute(taskId, (id, old) -> {
            if (old == null) {
                return new Entry(now, now, MigrationProgress.getDefaultInstance());
            }
            return old.frozenSinceMillis() != 0 ? old : new Entry(old.firstSeenMillis(), now, old.progress());
        });
        return e.frozenSinceMillis();
    }

    /** How long the move has been frozen, as this leader knows (0 if it did not see it freeze). */
    long frozenForMillis(long taskId) {
        Entry e = entries.get(taskId);
        return e == null || e.frozenSinceMillis() == 0 ? 0 : clock.getAsLong() - e.frozenSinceMillis();
    }

    public Optional<MigrationProgress> progress(long taskId) {
        Entry e = entries.get(taskId);
        if (e == null) {
            return Optional.empty();
        }
        if (e.done()) {
            return Optional.of(e.progress());
        }
        return Optional.of(e.progress().toBuilder().setElapsedMillis(clock.getAsLong() - e.firstSeenMillis()).build());
    }

    /** Keeps a finished move's last progress under its final phase ("done", "aborted"), for status. */
    void finished(long taskId, String phase) {
        outcomes(phase).increment();
        MigrationProgress before = entries.containsKey(taskId) ? entries.get(taskId).progress() : null;
        if (before != null) {
            Counter.builder("shardkv.meta.migration.bytes").description("Bytes copied by finished slot moves")
                    .register(registry).increment(before.getBytesCopied());
            Counter.builder("shardkv.meta.migration.keys").description("Keys copied by finished slot moves")
                    .register(registry).increment(before.getKeysCopied());
        }
        long now = clock.getAsLong();
        entries.compute(taskId, (id, old) -> {
            MigrationProgress last = old == null ? MigrationProgress.getDefaultInstance() : old.progress();
            long first = old == null ? now : old.firstSeenMillis();
            return new Entry(first, 0, last.toBuilder().setPhase(phase).setJournalLag(0)
                    .setElapsedMillis(now - first).build(), true);
        });
    }

    /** Forgets the moves not in {@code taskIds} (the map dropped them). */
    public void retainOnly(java.util.Set<Long> taskIds) {
        entries.keySet().retainAll(taskIds);
    }

    /** Forgets everything (this replica lost or gained the leadership). */
    void clear() {
        entries.clear();
    }
}

package io.shardkv.kv.migration;

import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.kv.proto.MigrationRecord;
import io.shardkv.kv.state.KvStateMachine;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The importers running on this server, one per migration whose target group it leads. The
 * meta-server's status calls start one where none runs (after a leader change, a restart), so
 * no importer is ever needed for a migration to resume; starting one twice is a no-op.
 */
public final class Importers implements AutoCloseable {
    private final Map<Long, Importer> running = new ConcurrentHashMap<>();
    private final Importer.GroupProposer proposer;
    private final PullSource puller;
    private final ByteRate throttle;
    private final Executor runner;
    /** The pool the importers run on when this object made it (production), else null. */
    private final ExecutorService ownedThreads;
    private final ImportMetrics metrics;

    /**
     * @param bytesPerSecond the byte rate all imports on this server share; 0 for no limit
     */
    public Importers(long serverId, Importer.GroupProposer proposer, SourcePuller puller, long bytesPerSecond,
                     MeterRegistry registry) {
        this(proposer, puller, bytesPerSecond, registry, pool(serverId));
    }

    /**
     * @param runner runs each importer ({@link Importer#run}); a simulation passes one that keeps
     *               them and calls {@link Importer#step} itself, in its own order
     */
    public Importers(Importer.GroupProposer proposer, PullSource puller, long bytesPerSecond, MeterRegistry registry,
                     Executor runner) {
        this.metrics = new ImportMetrics(registry);
        this.proposer = proposer;
        this.puller = puller;
        this.throttle = new ByteRate(bytesPerSecond);
        this.runner = runner;
        this.ownedThreads = runner instanceof ExecutorService pool ? pool : null;
    }

    private static ExecutorService pool(long serverId) {
        AtomicInteger ids = new AtomicInteger();
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kv-importer-" + serverId + "-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the migration's importer unless one runs; the record says which groups. */
    public void ensure(KvStateMachine machine, MigrationRecord record) {
        if (record.getReady()) {
            return;
        }
        running.compute(record.getMigrationId(), (id, current) -> {
            // A running importer goes on; one that stopped for good keeps its failure for the status
            // (the meta-server aborts the move on it), rather than be replaced by one that fails again.
            if (current != null && (!current.stopped() || !current.failure().isEmpty())) {
                return current;
            }
            Importer importer = new Importer(machine.groupId(), id, record.getPeerGroupId(), machine, proposer,
                    puller, throttle, metrics);
            runner.execute(importer);
            return importer;
        });
    }

    /** What the status shows of a running importer: phase, lag, failure, last error. */
    public record Progress(String phase, long journalLag, String failure, String lastError) {
    }

    public Optional<Progress> progress(long migrationId, MigrationRecord record) {
        Importer i = running.get(migrationId);
        if (i == null) {
            return Optional.empty();
        }
        return Optional.of(new Progress(i.phase(record), i.journalLag(), i.failure(), i.lastError()));
    }

    /** Stops the migration's importer, if one runs (the migration was activated or aborted). */
    public void stop(long migrationId) {
        Importer i = running.remove(migrationId);
        if (i != null) {
            i.stop();
        }
    }

    @Override
    public void close() {
        running.values().forEach(Importer::stop);
        running.clear();
        if (ownedThreads != null) {
            ownedThreads.shutdownNow();
            try {
                // They read the KV database, which closes after this.
                ownedThreads.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (puller instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot close the source puller", e);
            }
        }
    }
}

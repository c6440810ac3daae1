package io.shardkv.kv.migration;

import com.google.protobuf.Message;
import io.shardkv.kv.proto.ImportChunk;
import io.shardkv.kv.proto.ImportJournal;
import io.shardkv.kv.proto.ImportReady;
import io.shardkv.kv.proto.ImportSessions;
import io.shardkv.kv.proto.MigrationCommand;
import io.shardkv.kv.proto.MigrationRecord;
import io.shardkv.kv.proto.PullKind;
import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the target group of one migration (DESIGN 5, steps 4 to 6) while this server leads it:
 * pulls the slots' data from the source in pages and proposes each as an ImportChunk; then
 * follows the source's journal of the slots (ImportJournal) until the source froze them and
 * every record up to the freeze is applied; then merges the source's client sessions
 * (ImportSessions) and proposes ImportReady. Where it stands is the group's record, not this
 * object, so a new leader's importer continues exactly there, and a page proposed twice changes
 * nothing the second time. One thread; stops when the record says ready, when the group has no
 * record of the migration, or when this server stops leading (the next status call on the new
 * leader starts one there).
 */
public final class Importer implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Importer.class);
    /** Bytes per pulled page and so per proposed entry (plus at most one value). */
    static final int PAGE_BYTES = 1 << 20;
    /** How long to wait for the next journal records once caught up (the freeze is noticed this fast). */
    private static final long IDLE_MILLIS = 3;
    private static final long RETRY_MILLIS = 200;
    private static final long PROPOSE_TIMEOUT_MILLIS = 30_000;

    private final long groupId;
    private final long migrationId;
    private final long sourceGroupId;
    private final KvStateMachine machine;
    private final GroupProposer proposer;
    private final PullSource puller;
    private final ByteRate throttle;
    private final ImportMetrics metrics;
    private volatile boolean stopped;
    private volatile String failure = "";
    private volatile String lastError = "";
    private volatile long journalLag;
    /** Whether a journal pull told this importer how far behind it is (a new importer does not know). */
    private volatile boolean lagKnown;
    /** The source's journal end once a source replica said it froze; -1 before. */
    private volatile long frozenEnd = -1;

    /** Proposes a command to the group and waits for its result; the runtime's propose, as a seam for tests. */
    public interface GroupProposer {
        CommandResult propose(long groupId, byte[] command, long timeoutMillis)
                throws InterruptedException, ExecutionException, TimeoutException;

        boolean leads(long groupId);
    }

    public Importer(long groupId, long migrationId, long sourceGroupId, KvStateMachine machine, GroupProposer proposer,
             PullSource puller, ByteRate throttle, ImportMetrics metrics) {
        this.groupId = groupId;
        this.migrationId = migrationId;
        this.sourceGroupId = sourceGroupId;
        this.machine = machine;
        this.proposer = proposer;
        this.puller = puller;
        this.throttle = throttle;
        this.metrics = metrics;
    }

    void stop() {
        stopped = true;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Why the import cannot go on (the meta-server aborts the migration); empty while it can. */
    public String failure() {
        return failure;
    }

    String lastError() {
        return lastError;
    }

    long journalLag() {
        return journalLag;
    }

    @Override
    public void run() {
        LOG.info("group {}: importing migration {} from group {}", groupId, migrationId, sourceGroupId);
        while (!stopped) {
            try {
                if (!step()) {
                    TimeUnit.MILLISECONDS.sleep(IDLE_MILLIS);
                }
                lastError = "";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            } catch (SourcePuller.PullException | ExecutionException | TimeoutException | RuntimeException e) {
                lastError = e.getMessage() == null ? e.toString() : e.getMessage();
                metrics.retry();
                LOG.debug("group {}: migration {} import step failed: {}", groupId, migrationId, lastError);
                try {
                    TimeUnit.MILLISECONDS.sleep(RETRY_MILLIS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    stopped = true;
                }
            }
        }
        LOG.info("group {}: importer of migration {} stopped", groupId, migrationId);
    }

    /** One page of work; false when there was nothing to do yet (caught up with the journal). */
    public boolean step() throws InterruptedException, SourcePuller.PullException, ExecutionException, TimeoutException {
        if (!proposer.leads(groupId) || machine.isClosed()) {
            stopped = true;
            return false;
        }
        Optional<MigrationRecord> found = machine.migration(migrationId);
        if (found.isEmpty() || found.get().getReady()) {
            stopped = true;
            return false;
        }
        MigrationRecord r = found.get();
        if (!r.getCopyDone()) {
            PullResponse page = puller.pull(request(PullKind.DATA).setCursor(r.getCopyCursor()).build());
            ImportChunk.Builder chunk = ImportChunk.newBuilder().setFromCursor(r.getCopyCursor())
                    .addAllPairs(page.getPairsList()).setNextCursor(page.getNextCursor()).setDone(page.getDone())
                    .setBytesEstimate(page.getBytesEstimate());
            propose(MigrationCommand.newBuilder().setImportChunk(chunk), chunk.build());
            long bytes = 0;
            for (io.shardkv.kv.proto.KvPair p : page.getPairsList()) {
                bytes += p.getKey().size() + p.getValue().size();
            }
            metrics.data(page.getPairsCount(), bytes);
            return true;
        }
        if (frozenEnd < 0 || r.getJournalSeq() < frozenEnd) {
            PullResponse page = puller.pull(request(PullKind.JOURNAL).setFromSeq(r.getJournalSeq() + 1).build());
            if (page.getFrozen()) {
                frozenEnd = page.getJournalEnd();
            }
            journalLag = Math.max(0, page.getJournalLast() - r.getJournalSeq() - page.getRecordsCount());
            lagKnown = true;
            if (page.getRecordsCount() == 0) {
                return frozenEnd >= 0 && r.getJournalSeq() >= frozenEnd;
            }
            ImportJournal journal = ImportJournal.newBuilder().setFromSeq(r.getJournalSeq() + 1)
                    .addAllRecords(page.getRecordsList()).build();
            propose(MigrationCommand.newBuilder().setImportJournal(journal), journal);
            metrics.journal(page.getRecordsCount());
            return true;
        }
        if (r.getJournalSeq() > frozenEnd) {
            failure = "the target applied journal record " + r.getJournalSeq() + " past the source's freeze at "
                    + frozenEnd;
            stopped = true;
            return false;
        }
        journalLag = 0;
        if (!r.getSessionsDone()) {
            PullResponse page = puller.pull(request(PullKind.SESSIONS).setCursor(r.getSessionsCursor()).build());
            ImportSessions sessions = ImportSessions.newBuilder().addAllSessions(page.getRecordsList())
                    .setHorizon(page.getSessionHorizon()).setNextCursor(page.getNextCursor()).setDone(page.getDone())
                    .setJournalEnd(frozenEnd).build();
            propose(MigrationCommand.newBuilder().setImportSessions(sessions), sessions);
            metrics.sessions(page.getRecordsCount());
            return true;
        }
        ImportReady ready = ImportReady.newBuilder().setJournalEnd(frozenEnd).build();
        propose(MigrationCommand.newBuilder().setImportReady(ready), ready);
        LOG.info("group {}: migration {} imported ({} keys, {} bytes, journal of {})", groupId, migrationId,
                r.getKeysCopied(), r.getBytesCopied(), frozenEnd);
        return true;
    }

    /** The phase, as the status shows it. */
    String phase(MigrationRecord r) {
        if (r.getReady()) {
            return "ready";
        }
        if (!r.getCopyDone()) {
            return "copying";
        }
        if (frozenEnd < 0 || r.getJournalSeq() < frozenEnd) {
            // Until its first journal pull a new importer (a new leader's) cannot tell its lag, and
            // the meta-server freezes the source only once the lag is known to be small.
            return lagKnown ? "catching-up" : "starting";
        }
        return "sessions";
    }

    private PullRequest.Builder request(PullKind kind) {
        return PullRequest.newBuilder().setGroupId(sourceGroupId).setMigrationId(migrationId).setKind(kind)
                .setMaxBytes(PAGE_BYTES);
    }

    private void propose(MigrationCommand.Builder command, Message payload)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (frozenEnd < 0) {
            // Once the source froze, writes to the slots wait on what is left: the tail goes unthrottled.
            throttle.acquire(payload.getSerializedSize());
        }
        byte[] encoded = CommandCodec.encode(new Command.Migration(System.currentTimeMillis(),
                command.setMigrationId(migrationId).build()));
        CommandResult result = proposer.propose(groupId, encoded, PROPOSE_TIMEOUT_MILLIS);
        if (!result.isOk()) {
            if (result.code() == CommandResult.INVALID_ARGUMENT) {
                // The group refuses what the source sent: going on cannot help.
                failure = result.message();
                stopped = true;
            }
            throw new IllegalStateException(result.message());
        }
    }
}

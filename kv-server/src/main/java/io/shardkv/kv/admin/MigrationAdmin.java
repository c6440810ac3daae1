package io.shardkv.kv.admin;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.shardkv.common.Slots;
import io.shardkv.kv.migration.Importers;
import io.shardkv.kv.proto.ActivateImport;
import io.shardkv.kv.proto.BeginMigration;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.FreezeMigration;
import io.shardkv.kv.proto.MigrationAction;
import io.shardkv.kv.proto.MigrationCommand;
import io.shardkv.kv.proto.MigrationRecord;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.kv.proto.MigrationRole;
import io.shardkv.kv.proto.PrepareImport;
import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.kv.proto.RetireSlots;
import io.shardkv.kv.proto.AbortMigration;
import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.replica.KvErrors;
import io.shardkv.kv.replica.Replicas;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.kv.state.MigrationReads;
import io.shardkv.kv.state.SessionImage;
import io.shardkv.raft.runtime.RaftServer;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slot-migration calls of KvAdmin (DESIGN 5): the scheduler's steps, each proposed to the
 * leader of the group concerned unless the group's record shows it done already, and the pulls
 * a target's importer makes of any source replica.
 */
public final class MigrationAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationAdmin.class);
    /** The most a pull answers with (plus one value), whatever the caller asks. */
    static final int MAX_PULL_BYTES = 4 << 20;

    private final MigrationGroups groups;
    private final KvErrors errors;
    private final Executor executor;
    private final long timeoutMillis;
    private final Importers importers;

    MigrationAdmin(RaftServer raft, Replicas replicas, GroupRouter router, KvErrors errors, Executor executor,
                   long timeoutMillis, Importers importers) {
        this(new RaftMigrationGroups(raft, replicas, router), errors, executor, timeoutMillis, importers);
    }

    /**
     * @param executor where answers are built and pulls read (never a raft thread)
     */
    public MigrationAdmin(MigrationGroups groups, KvErrors errors, Executor executor, long timeoutMillis,
                          Importers importers) {
        this.groups = groups;
        this.errors = errors;
        this.executor = executor;
        this.timeoutMillis = timeoutMillis;
        this.importers = importers;
    }

    public void migration(MigrationRequest r, StreamObserver<MigrationResponse> obs) {
        Optional<String> bad = check(r);
        if (bad.isPresent()) {
            answer(obs, MigrationResponse.newBuilder().setError(KvErrors.invalid(bad.get())).build());
            return;
        }
        GroupRouter.Route route = groups.leaderRoute(r.getGroupId());
        if (!route.ok()) {
            answer(obs, MigrationResponse.newBuilder().setError(route.error()).build());
            return;
        }
        KvStateMachine sm = route.machine();
        long id = r.getMigrationId();
        Optional<MigrationRecord> record = sm.migration(id);
        MigrationCommand.Builder step = MigrationCommand.newBuilder().setMigrationId(id);
        switch (r.getAction()) {
            case PREPARE_IMPORT -> {
                if (record.isPresent()) {
                    answer(obs, status(sm, id));
                    return;
                }
                step.setPrepareImport(PrepareImport.newBuilder().addAllSlots(r.getSlotsList())
                        .setSourceGroupId(r.getPeerGroupId()).setConfigVersion(r.getConfigVersion()));
            }
            case BEGIN -> {
                if (record.isPresent()) {
                    answer(obs, status(sm, id));
                    return;
                }
                step.setBegin(BeginMigration.newBuilder().addAllSlots(r.getSlotsList())
                        .setTargetGroupId(r.getPeerGroupId()).setConfigVersion(r.getConfigVersion()));
            }
            case IMPORT_STATUS -> {
                answer(obs, status(sm, id));
                return;
            }
            case FREEZE -> {
                if (record.isPresent() && record.get().getFrozen()) {
                    answer(obs, status(sm, id));
                    return;
                }
                step.setFreeze(FreezeMigration.getDefaultInstance());
            }
            case ACTIVATE -> step.setActivate(ActivateImport.newBuilder().setEpoch(r.getEpoch())
                    .setConfigVersion(r.getConfigVersion()));
            case RETIRE -> step.setRetire(RetireSlots.newBuilder().setEpoch(r.getEpoch())
                    .setConfigVersion(r.getConfigVersion()));
            case ABORT -> step.setAbort(AbortMigration.getDefaultInstance());
            default -> {
                answer(obs, MigrationResponse.newBuilder().setError(KvErrors.invalid("unknown action "
                        + r.getAction())).build());
                return;
            }
        }
        // ACTIVATE, RETIRE and ABORT always go through the log, even when this leader has no record
        // of the migration: a new leader may not have applied all it committed yet, and only the log
        // orders the step after that (the step itself is a no-op where it was done before).
        byte[] command = CommandCodec.encode(new Command.Migration(System.currentTimeMillis(), step.build()));
        groups.propose(r.getGroupId(), command).orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((bytes, failure) -> {
                    if (failure != null) {
                        answer(obs, MigrationResponse.newBuilder().setError(errors.fromFailure(failure)).build());
                        return;
                    }
                    CommandResult result = CommandResult.decode(bytes);
                    if (!result.isOk()) {
                        answer(obs, MigrationResponse.newBuilder().setError(errors.fromResult(result)).build());
                        return;
                    }
                    if (r.getAction() == MigrationAction.ACTIVATE || r.getAction() == MigrationAction.ABORT) {
                        importers.stop(id);
                    }
                    LOG.info("group {}: migration {} {} applied", r.getGroupId(), id, r.getAction());
                    answer(obs, status(sm, id));
                }, executor);
    }

    /**
     * Where the migration stands in this group, and on a target the importer's progress; asking
     * starts the importer if this leader has none running.
     */
    private MigrationResponse status(KvStateMachine sm, long id) {
        Optional<MigrationRecord> found = sm.migration(id);
        MigrationResponse.Builder b = MigrationResponse.newBuilder().setError(KvErrors.OK);
        if (found.isEmpty()) {
            return b.setPhase("none").build();
        }
        MigrationRecord r = found.get();
        b.setKeysCopied(r.getKeysCopied()).setBytesCopied(r.getBytesCopied()).setBytesEstimate(r.getBytesEstimate());
        if (r.getRole() == MigrationRole.SOURCE) {
            if (r.getJournalOverflow()) {
                b.setFailure("the journal of the moving slots passed " + (r.getJournalBytes() >> 20)
                        + " MiB while the target caught up");
            }
            return b.setPhase(r.getFrozen() ? "frozen" : "migrating").build();
        }
        if (r.getReady()) {
            return b.setPhase("ready").build();
        }
        importers.ensure(sm, r);
        Optional<Importers.Progress> p = importers.progress(id, r);
        b.setPhase(p.map(Importers.Progress::phase).orElse(r.getCopyDone() ? "starting" : "copying"));
        p.ifPresent(progress -> b.setJournalLag(progress.journalLag()).setFailure(progress.failure())
                .setLastError(progress.lastError()));
        return b.build();
    }

    public void pull(PullRequest r, StreamObserver<PullResponse> obs) {
        Optional<KvStateMachine> sm = groups.hosted(r.getGroupId());
        if (sm.isEmpty()) {
            answer(obs, PullResponse.newBuilder().setError(errors.wrongGroup("group " + r.getGroupId()
                    + " is not hosted on server " + groups.serverId())).build());
            return;
        }
        Optional<MigrationRecord> found = sm.get().migration(r.getMigrationId());
        if (found.isEmpty() || found.get().getRole() != MigrationRole.SOURCE) {
            answer(obs, PullResponse.newBuilder().setError(KvErrors.of(ErrorCode.UNAVAILABLE, "this replica of group "
                    + r.getGroupId() + " has not begun migration " + r.getMigrationId())).build());
            return;
        }
        MigrationRecord record = found.get();
        long maxBytes = r.getMaxBytes() == 0 ? MAX_PULL_BYTES : Math.min(r.getMaxBytes(), MAX_PULL_BYTES);
        CompletableFuture.runAsync(() -> {
            try {
                answer(obs, pullPage(sm.get(), record, r, maxBytes));
            } catch (IllegalArgumentException e) {
                answer(obs, PullResponse.newBuilder().setError(KvErrors.invalid(e.getMessage())).build());
            } catch (RuntimeException e) {
                answer(obs, PullResponse.newBuilder().setError(errors.fromFailure(e)).build());
            }
        }, executor);
    }

    private PullResponse pullPage(KvStateMachine sm, MigrationRecord record, PullRequest r, long maxBytes) {
        PullResponse.Builder b = PullResponse.newBuilder().setError(KvErrors.OK).setFrozen(record.getFrozen())
                .setJournalEnd(record.getJournalEnd()).setJournalLast(record.getJournalSeq());
        switch (r.getKind()) {
            case DATA -> {
                MigrationReads.DataPage page = sm.pullData(record, r.getCursor(), maxBytes);
                b.addAllPairs(page.pairs()).setNextCursor(page.nextCursor()).setDone(page.done())
                        .setBytesEstimate(page.bytesEstimate());
            }
            case JOURNAL -> b.addAllRecords(sm.pullJournal(r.getMigrationId(), r.getFromSeq(), maxBytes));
            case SESSIONS -> {
                if (!record.getFrozen()) {
                    return PullResponse.newBuilder().setError(KvErrors.of(ErrorCode.UNAVAILABLE, "this replica of"
                            + " group " + r.getGroupId() + " has not frozen migration " + r.getMigrationId()
                            + "; sessions move after the freeze")).build();
                }
                if (!r.getCursor().isEmpty() && r.getCursor().size() != 8) {
                    throw new IllegalArgumentException("a sessions cursor is a client id of 8 bytes, got "
                            + r.getCursor().size());
                }
                long after = r.getCursor().isEmpty() ? 0 : r.getCursor().asReadOnlyByteBuffer().getLong();
                SessionImage.Page page = sm.pullSessions(after, maxBytes);
                page.sessions().forEach(s -> b.addRecords(ByteString.copyFrom(s)));
                b.setNextCursor(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(page.lastClient()).array()))
                        .setDone(page.done()).setSessionHorizon(page.horizon());
            }
            default -> throw new IllegalArgumentException("unknown pull kind " + r.getKind());
        }
        if (sm.isClosed()) {
            return PullResponse.newBuilder().setError(errors.wrongGroup("group " + r.getGroupId()
                    + " is no longer hosted on server " + groups.serverId())).build();
        }
        return b.build();
    }

    private static Optional<String> check(MigrationRequest r) {
        if (r.getGroupId() == 0 || r.getMigrationId() == 0) {
            return Optional.of("group_id and migration_id are required");
        }
        boolean needsSlots = r.getAction() == MigrationAction.PREPARE_IMPORT || r.getAction() == MigrationAction.BEGIN;
        if (needsSlots && (r.getSlotsCount() == 0 || r.getPeerGroupId() == 0
                || r.getPeerGroupId() == r.getGroupId())) {
            return Optional.of(r.getAction() + " needs slots and a peer group other than " + r.getGroupId());
        }
        for (int s : r.getSlotsList()) {
            if (s < 0 || s >= Slots.COUNT) {
                return Optional.of("slot " + s + " is outside [0, " + Slots.COUNT + ")");
            }
        }
        return Optional.empty();
    }

    private static <T> void answer(StreamObserver<T> obs, T response) {
        obs.onNext(response);
        obs.onCompleted();
    }
}

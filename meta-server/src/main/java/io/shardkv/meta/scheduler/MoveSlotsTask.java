package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.MigrationAction;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.map.SlotMoves;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/**
 * MOVE_SLOTS (DESIGN 5): moves the task's slots from its group (the source) to its target group.
 * Each step is one idempotent KvAdmin.Migration call on one group's leader, or a decision of the
 * meta log: prepare the target, begin on the source, wait for the copy to catch up, freeze the
 * source, wait for the target to be ready, commit in the meta log, activate the target, retire
 * the source (which deletes the slots' data there). A failure before the freeze, a cancel, or a
 * freeze that lasts past {@link #FREEZE_TIMEOUT_MILLIS} becomes an abort decided in the meta log,
 * after which the task undoes both sides and ends FAILED; after the commit it only goes forward.
 */
final class MoveSlotsTask extends TaskKind {
    /** A freeze (writes to the slots refused) longer than this is aborted. */
    static final long FREEZE_TIMEOUT_MILLIS = 10_000;
    /** Journal records the target may still lack when the source freezes: what the freeze waits for. */
    static final long FREEZE_AT_LAG = 200;
    /** How long one pass waits for the target to become ready after the freeze, polling it. */
    static final long READY_POLL_MILLIS = 2_000;
    private static final long POLL_INTERVAL_MILLIS = 5;

    enum Step implements TaskStep {
        NEW, PREPARED, BEGUN, COPIED, FROZEN, READY, COMMITTED, ACTIVATED
    }

    private final MigrationBoard board;
    private final long readyPollMillis;

    MoveSlotsTask(AdminSteps steps, MigrationBoard board, long readyPollMillis) {
        super(steps);
        this.board = board;
        this.readyPollMillis = readyPollMillis;
    }

    @Override
    StepResult step(Task task, ClusterMap map, ShardGroupInfo source) {
        Optional<ShardGroupInfo> found = ClusterMaps.group(map, task.getTargetGroupId());
        if (found.isEmpty()) {
            return new StepResult.Failed("target group " + task.getTargetGroupId() + " is no longer in the map");
        }
        ShardGroupInfo target = found.get();
        Step step = recorded(task, Step.class);
        if (step == null) {
            return unknownStep(task);
        }
        if (!task.getAbortReason().isEmpty() && !SlotMoves.committed(task.getStep())) {
            return undo(task, map, source, target);
        }
        switch (step) {
            case NEW:
                return advance(call(map, target, task, MigrationAction.PREPARE_IMPORT, source.getId()), task,
                        Step.PREPARED);
            case PREPARED:
                return advance(call(map, source, task, MigrationAction.BEGIN, target.getId()), task, Step.BEGUN);
            case BEGUN:
                return copying(task, map, source, target);
            case COPIED: {
                board.frozen(task.getId());
                StepResult frozen = advance(call(map, source, task, MigrationAction.FREEZE, target.getId()), task,
                        Step.FROZEN);
                if (!(frozen instanceof StepResult.Advanced)) {
                    return frozen;
                }
                // Writes to the slots are refused from now on: commit as soon as the target is ready,
                // recording the freeze only if that takes longer than this pass.
                StepResult ready = awaitReady(task, map, target);
                return ready instanceof StepResult.Decide ? ready : frozen;
            }
            case FROZEN:
                return awaitReady(task, map, target);
            case READY:
                return new StepResult.Decide(MetaCommand.moveCommit(task.getId()));
            case COMMITTED:
                return advance(call(map, target, task, MigrationAction.ACTIVATE, source.getId()), task,
                        Step.ACTIVATED);
            case ACTIVATED: {
                AdminSteps.Answer<MigrationResponse> a = call(map, source, task, MigrationAction.RETIRE, target.getId());
                if (!a.ok()) {
                    return new StepResult.Retry(a.error());
                }
                board.finished(task.getId(), "done");
                return new StepResult.Completed();
            }
            default:
                return unknownStep(task);
        }
    }

    /** Waits for the copy to be within {@link #FREEZE_AT_LAG} journal records of the source. */
    private StepResult copying(Task task, ClusterMap map, ShardGroupInfo source, ShardGroupInfo target) {
        AdminSteps.Answer<MigrationResponse> src = call(map, source, task, MigrationAction.IMPORT_STATUS,
                target.getId());
        if (src.ok() && !src.response().getFailure().isEmpty()) {
            return abort(task, "source group " + source.getId() + ": " + src.response().getFailure());
        }
        AdminSteps.Answer<MigrationResponse> a = call(map, target, task, MigrationAction.IMPORT_STATUS,
                source.getId());
        if (!a.ok()) {
            return new StepResult.Retry(a.error());
        }
        MigrationResponse r = a.response();
        board.report(task.getId(), r);
        if (!r.getFailure().isEmpty()) {
            return abort(task, "target group " + target.getId() + ": " + r.getFailure());
        }
        if (r.getPhase().equals("catching-up") && r.getJournalLag() <= FREEZE_AT_LAG) {
            board.reached(Step.COPIED.recorded());
            return new StepResult.Advanced(Step.COPIED);
        }
        return new StepResult.Waiting(r.getPhase() + ", " + r.getKeysCopied() + " keys copied");
    }

    /** After the freeze: polls the target briefly, so the freeze lasts as little as the catch-up needs. */
    private StepResult awaitReady(Task task, ClusterMap map, ShardGroupInfo target) {
        board.frozen(task.getId());
        long deadline = System.nanoTime() + readyPollMillis * 1_000_000;
        StepResult last;
        do {
            AdminSteps.Answer<MigrationResponse> a = call(map, target, task, MigrationAction.IMPORT_STATUS,
                    task.getGroupId());
            if (a.ok()) {
                board.report(task.getId(), a.response());
                if (a.response().getPhase().equals("ready")) {
                    board.reached(Step.READY.recorded());
                    return new StepResult.Decide(MetaCommand.moveCommit(task.getId()));
                }
                if (!a.response().getFailure().isEmpty()) {
                    return abort(task, "target group " + target.getId() + ": " + a.response().getFailure());
                }
                last = new StepResult.Waiting("target " + a.response().getPhase());
            } else {
                last = new StepResult.Retry(a.error());
            }
            if (board.frozenForMillis(task.getId()) > FREEZE_TIMEOUT_MILLIS) {
                return abort(task, "the target was not ready within " + FREEZE_TIMEOUT_MILLIS
                        + " ms of the freeze");
            }
            if (readyPollMillis == 0) {
                return last;
            }
            try {
                Thread.sleep(POLL_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return last;
            }
        } while (System.nanoTime() < deadline);
        return last;
    }

    /** Undoes an aborted move on both groups (the target first: it never served), then fails the task. */
    private StepResult undo(Task task, ClusterMap map, ShardGroupInfo source, ShardGroupInfo target) {
        AdminSteps.Answer<MigrationResponse> t = call(map, target, task, MigrationAction.ABORT, source.getId());
        if (!t.ok()) {
            return new StepResult.Retry(t.error());
        }
        AdminSteps.Answer<MigrationResponse> s = call(map, source, task, MigrationAction.ABORT, target.getId());
        if (!s.ok()) {
            return new StepResult.Retry(s.error());
        }
        board.finished(task.getId(), "aborted");
        return new StepResult.Failed("aborted: " + task.getAbortReason());
    }

    private static StepResult abort(Task task, String reason) {
        return new StepResult.Decide(MetaCommand.moveAbort(task.getId(), reason));
    }

    /**
     * A step refused for a reason retrying cannot fix (INVALID_ARGUMENT: a slot in the wrong state)
     * aborts the move while it has not frozen; anything else is retried.
     */
    private StepResult advance(AdminSteps.Answer<MigrationResponse> a, Task task, Step next) {
        if (a.ok()) {
            board.reached(next.recorded());
            if (next == Step.ACTIVATED) {
                board.activated(task.getId());
            }
            return new StepResult.Advanced(next);
        }
        StepError e = a.error();
        boolean hopeless = e.cause() == StepError.Cause.REFUSED && e.kvCode().equals(ErrorCode.INVALID_ARGUMENT.name());
        Step at = recorded(task, Step.class);
        if (hopeless && at != null && at.ordinal() < Step.FROZEN.ordinal()) {
            return abort(task, e.message());
        }
        return new StepResult.Retry(e);
    }

    private AdminSteps.Answer<MigrationResponse> call(ClusterMap map, ShardGroupInfo group, Task task,
                                                     MigrationAction action, long peer) {
        long epoch = task.getSlotsCount() == 0 ? 0 : map.getSlots(task.getSlots(0)).getEpoch();
        MigrationRequest req = MigrationRequest.newBuilder().setGroupId(group.getId()).setMigrationId(task.getId())
                .setAction(action).addAllSlots(task.getSlotsList()).setPeerGroupId(peer)
                .setConfigVersion(map.getConfigVersion()).setEpoch(epoch).build();
        return steps.onLeaderFor(map, group, action + " of move " + task.getId() + " in group " + group.getId(),
                s -> steps.admin.migration(s, req), MigrationResponse::getError);
    }
}

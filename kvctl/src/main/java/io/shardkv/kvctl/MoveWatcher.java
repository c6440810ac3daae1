package io.shardkv.kvctl;

import io.shardkv.client.MetaAdmin;
import io.shardkv.client.MetaException;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Follows the MOVE_SLOTS tasks of one {@code slot move} until each is DONE or FAILED, printing a
 * task's progress line when its state, step or phase changes and otherwise once a second. The
 * move runs in the meta-server whether or not anyone watches, so giving up (timeout, interrupt)
 * stops only the watching.
 */
final class MoveWatcher {
    /** Short enough to show each step of a small move; a status read is cheap for the meta leader. */
    private static final long POLL_MILLIS = 250;
    private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MetaAdmin admin;
    private final PrintWriter out;
    // Per task: what its last printed line showed, and when it was printed.
    private final Map<Long, String> shown = new HashMap<>();
    private final Map<Long, Long> shownAtNanos = new HashMap<>();

    MoveWatcher(MetaAdmin admin, PrintWriter out) {
        this.admin = admin;
        this.out = out;
    }

    /**
     * The tasks as they ended, in the order of {@code taskIds}.
     *
     * @throws MetaException TIMEOUT when one is still pending after {@code timeout}, saying how to
     *     follow or cancel it; the meta leader's error when it refuses a status read
     */
    List<MigrationInfo> await(List<Long> taskIds, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Long, MigrationInfo> latest = new LinkedHashMap<>();
        String unanswered = null;
        while (true) {
            for (long id : taskIds) {
                MigrationInfo known = latest.get(id);
                if (known != null && ended(known.getTask())) {
                    continue;
                }
                try {
                    MigrationInfo info = read(id);
                    latest.put(id, info);
                    maybePrint(info);
                    unanswered = null;
                } catch (MetaException e) {
                    if (ExitCodes.of(e) != ExitCodes.UNAVAILABLE) {
                        throw e;
                    }
                    // A meta leader election outlasting one request: the move goes on; keep watching.
                    unanswered = e.getMessage();
                }
            }
            if (latest.size() == taskIds.size() && latest.values().stream().allMatch(m -> ended(m.getTask()))) {
                return new ArrayList<>(latest.values());
            }
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                throw new MetaException(MetaErrorCode.TIMEOUT, stillGoing(taskIds, latest, timeout, unanswered));
            }
            try {
                // Polling the meta leader for a move its scheduler advances; bounded by the deadline.
                Thread.sleep(Math.min(POLL_MILLIS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MetaException(MetaErrorCode.TIMEOUT, "interrupted while waiting. " + background(taskIds), e);
            }
        }
    }

    private MigrationInfo read(long id) {
        List<MigrationInfo> found = admin.migrationStatus(id);
        if (found.isEmpty()) {
            throw new MetaException(MetaErrorCode.NOT_FOUND, "the meta-server no longer lists slot move task " + id);
        }
        return found.get(0);
    }

    private void maybePrint(MigrationInfo info) {
        Task task = info.getTask();
        String what = task.getState() + "/" + task.getStep() + "/" + info.getProgress().getPhase() + "/"
                + task.getAbortReason() + "/" + task.getLastError();
        long now = System.nanoTime();
        Long at = shownAtNanos.get(task.getId());
        if (what.equals(shown.get(task.getId())) && at != null && now - at < PROGRESS_EVERY_NANOS) {
            return;
        }
        shown.put(task.getId(), what);
        shownAtNanos.put(task.getId(), now);
        out.println("  " + MigrationFormatter.progressLine(info));
        out.flush();
    }

    private static boolean ended(Task task) {
        return task.getState() == TaskState.DONE || task.getState() == TaskState.FAILED;
    }

    private static String stillGoing(List<Long> taskIds, Map<Long, MigrationInfo> latest, Duration timeout,
            String unanswered) {
        List<String> pending = new ArrayList<>();
        for (long id : taskIds) {
            MigrationInfo info = latest.get(id);
            if (info == null) {
                pending.add("task " + id + " not seen yet");
            } else if (!ended(info.getTask())) {
                Task task = info.getTask();
                pending.add(MigrationFormatter.summary(task) + " at step " + MigrationFormatter.step(task)
                        + (task.getLastError().isEmpty() ? "" : ", last error: " + task.getLastError()));
            }
        }
        return "the move did not finish within " + timeout.toMillis() + " ms: " + String.join("; ", pending)
                + (unanswered == null ? "" : " (last status read: " + unanswered + ")") + ". " + background(taskIds);
    }

    private static String background(List<Long> taskIds) {
        // One task is named; several are all in the listing of every migration.
        String id = taskIds.size() == 1 ? String.valueOf(taskIds.get(0)) : "";
        return "The move goes on in the background: 'kvctl slot status" + (id.isEmpty() ? "" : " " + id)
                + "' shows it, 'kvctl slot cancel " + (id.isEmpty() ? "ID" : id) + "' stops it before it commits";
    }
}

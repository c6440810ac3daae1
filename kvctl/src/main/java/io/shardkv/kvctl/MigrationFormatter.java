package io.shardkv.kvctl;

import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.MigrationProgress;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Renders slot migrations (MOVE_SLOTS tasks with their live progress): the line {@code slot move}
 * prints while it waits, and the {@code slot status} table. The task's step is the phase the meta
 * log reached; the progress phase is what the target's importer is doing now.
 */
final class MigrationFormatter {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

    private MigrationFormatter() {
    }

    /** {@code task 7 (group 1 -> 3, slots 0-9)}. */
    static String summary(Task task) {
        return "task " + task.getId() + " (group " + task.getGroupId() + " -> " + task.getTargetGroupId()
                + ", slots " + SlotRanges.compress(task.getSlotsList()) + ")";
    }

    /** One line about where a migration is: phase, step, figures and ETA, or how it ended. */
    static String progressLine(MigrationInfo info) {
        Task task = info.getTask();
        MigrationProgress progress = info.getProgress();
        StringBuilder s = new StringBuilder(summary(task)).append(": ");
        if (task.getState() == TaskState.DONE) {
            s.append("done, ").append(figures(progress, false));
            if (progress.getElapsedMillis() > 0) {
                s.append(" in ").append(duration((progress.getElapsedMillis() + 999) / 1000));
            }
            return s.toString();
        }
        if (task.getState() == TaskState.FAILED) {
            return s.append("failed at step ").append(step(task)).append(": ").append(error(task)).toString();
        }
        if (!task.getAbortReason().isEmpty()) {
            s.append("aborting (").append(task.getAbortReason()).append(")");
        } else {
            s.append(progress.getPhase().isEmpty() ? "waiting to start" : progress.getPhase());
        }
        s.append(", step ").append(step(task)).append(", ").append(figures(progress, true));
        if (!task.getLastError().isEmpty() && !task.getLastError().equals(task.getAbortReason())) {
            s.append(", last error: ").append(task.getLastError());
        } else if (!progress.getLastError().isEmpty()) {
            s.append(", importer retrying: ").append(progress.getLastError());
        }
        return s.toString();
    }

    /** The {@code slot status} table, or a line saying there is nothing to show. */
    static String table(List<MigrationInfo> migrations) {
        if (migrations.isEmpty()) {
            return "no slot migrations\n";
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "MOVE", "SLOTS", "STATE", "STEP", "PHASE", "PROGRESS", "ERROR"});
        for (MigrationInfo info : migrations) {
            Task task = info.getTask();
            boolean live = task.getState() == TaskState.PENDING;
            String error = error(task);
            if (error.isEmpty() && live && !info.getProgress().getLastError().isEmpty()) {
                error = "importer retrying: " + info.getProgress().getLastError();
            }
            rows.add(new String[] {
                String.valueOf(task.getId()),
                task.getGroupId() + " -> " + task.getTargetGroupId(),
                SlotRanges.compress(task.getSlotsList()) + " (" + task.getSlotsCount() + ")",
                state(task),
                step(task),
                live && !info.getProgress().getPhase().isEmpty() ? info.getProgress().getPhase() : "-",
                figures(info.getProgress(), live),
                error.isEmpty() ? "-" : error
            });
        }
        StringBuilder out = new StringBuilder();
        StatusFormatter.table(out, rows);
        return out.toString();
    }

    /** PENDING, ABORTING (pending with an abort reason: undoing what it did), DONE or FAILED. */
    static String state(Task task) {
        if (task.getState() == TaskState.PENDING && !task.getAbortReason().isEmpty()) {
            return "ABORTING";
        }
        return task.getState().toString();
    }

    /** The step reached; a task that has reached none yet is "planned". */
    static String step(Task task) {
        return task.getStep().isEmpty() ? "planned" : task.getStep();
    }

    /** Why it failed or is being aborted: the abort reason, then the last error when it says more. */
    static String error(Task task) {
        String reason = task.getAbortReason();
        String last = task.getLastError();
        if (reason.isEmpty() || last.contains(reason)) {
            return last;
        }
        return last.isEmpty() ? reason : reason + "; last error: " + last;
    }

    /**
     * Keys and bytes copied, and while it runs the rate, journal lag and ETA:
     * {@code 50 keys, 4.9 KiB of 9.8 KiB, 2.4 KiB/s, lag 40, ETA 2s}; "-" when there is nothing yet.
     */
    static String figures(MigrationProgress progress, boolean live) {
        List<String> parts = new ArrayList<>();
        if (progress.getKeysCopied() > 0 || progress.getBytesCopied() > 0 || live) {
            parts.add(progress.getKeysCopied() + " keys");
            parts.add(bytes(progress.getBytesCopied())
                    + (live && progress.getBytesEstimate() > 0 ? " of " + bytes(progress.getBytesEstimate()) : "")
                    + " copied");
        }
        if (live) {
            parts.add(rate(progress.getBytesPerSecond()));
            parts.add("lag " + progress.getJournalLag());
            OptionalLong eta = etaSeconds(progress);
            parts.add("ETA " + (eta.isPresent() ? duration(eta.getAsLong()) : "?"));
        }
        return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    /**
     * Seconds until the copy is done at the current rate: known only with both an estimate of
     * the bytes and a rate, else empty.
     */
    static OptionalLong etaSeconds(MigrationProgress progress) {
        double rate = progress.getBytesPerSecond();
        if (progress.getBytesEstimate() == 0 || !(rate > 0) || Double.isInfinite(rate)) {
            return OptionalLong.empty();
        }
        long remaining = Math.max(0, progress.getBytesEstimate() - progress.getBytesCopied());
        return OptionalLong.of((long) Math.ceil(remaining / rate));
    }

    /** {@code 812 B}, {@code 4.9 KiB}, {@code 1.2 GiB}. */
    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    /** Bytes per second, or "? B/s" when not measured yet. */
    static String rate(double bytesPerSecond) {
        if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
            return "? B/s";
        }
        return bytes((long) bytesPerSecond) + "/s";
    }

    /** {@code 45s}, {@code 3m05s}, {@code 2h07m}. */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }
}

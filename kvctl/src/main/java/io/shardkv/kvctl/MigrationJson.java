package io.shardkv.kvctl;

import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.MigrationProgress;
import io.shardkv.meta.proto.Task;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@code slot status --output json}: one JSON object, {@code {"migrations": [...]}}, with the
 * proto's field names in snake_case, the slots as ranges ({@code "0-99,512"}, what
 * {@code slot move} takes), and the ETA in seconds (null while unknown). Scripts read it;
 * fields are only ever added.
 */
final class MigrationJson {
    private MigrationJson() {
    }

    static String format(List<MigrationInfo> migrations) {
        StringBuilder out = new StringBuilder("{\"migrations\":");
        Json.array(out, migrations, MigrationJson::migration);
        return out.append("}\n").toString();
    }

    private static void migration(StringBuilder out, MigrationInfo info) {
        Task task = info.getTask();
        out.append("{\"id\":").append(Long.toUnsignedString(task.getId()))
                .append(",\"source_group_id\":").append(Long.toUnsignedString(task.getGroupId()))
                .append(",\"target_group_id\":").append(Long.toUnsignedString(task.getTargetGroupId()))
                .append(",\"slots\":").append(Json.slots(task.getSlotsList()))
                .append(",\"slot_count\":").append(task.getSlotsCount())
                .append(",\"state\":").append(Json.quote(task.getState().toString()))
                .append(",\"step\":").append(Json.quote(task.getStep()))
                .append(",\"aborting\":").append(!task.getAbortReason().isEmpty())
                .append(",\"abort_reason\":").append(Json.quote(task.getAbortReason()))
                .append(",\"last_error\":").append(Json.quote(task.getLastError()))
                .append(",\"created_version\":").append(Long.toUnsignedString(task.getCreatedVersion()))
                .append(",\"progress\":");
        progress(out, info.getProgress());
        out.append('}');
    }

    private static void progress(StringBuilder out, MigrationProgress progress) {
        OptionalLong eta = MigrationFormatter.etaSeconds(progress);
        out.append("{\"phase\":").append(Json.quote(progress.getPhase()))
                .append(",\"keys_copied\":").append(Long.toUnsignedString(progress.getKeysCopied()))
                .append(",\"bytes_copied\":").append(Long.toUnsignedString(progress.getBytesCopied()))
                .append(",\"bytes_estimate\":").append(Long.toUnsignedString(progress.getBytesEstimate()))
                .append(",\"bytes_per_second\":").append(number(progress.getBytesPerSecond()))
                .append(",\"journal_lag\":").append(Long.toUnsignedString(progress.getJournalLag()))
                .append(",\"elapsed_millis\":").append(Long.toUnsignedString(progress.getElapsedMillis()))
                .append(",\"eta_seconds\":").append(eta.isPresent() ? String.valueOf(eta.getAsLong()) : "null")
                .append(",\"last_error\":").append(Json.quote(progress.getLastError()))
                .append('}');
    }

    /** JSON has no NaN or infinities. */
    private static String number(double value) {
        return Double.isFinite(value) ? String.valueOf(value) : "null";
    }
}

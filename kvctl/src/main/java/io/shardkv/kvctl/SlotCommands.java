package io.shardkv.kvctl;

import io.shardkv.client.MetaAdmin;
import io.shardkv.client.MetaException;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.MigrationInfo;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * slot move, status and cancel: moving slots between shard groups while they serve (DESIGN 5).
 * A move is one MOVE_SLOTS task per source group, carried out by the meta-server; these commands
 * plan, watch and cancel such tasks.
 */
final class SlotCommands {
    /** Steps at and after which the new owner is in the map and the move can only complete. */
    private static final List<String> COMMITTED_STEPS = List.of("committed", "activated");

    private SlotCommands() {
    }

    @Command(name = "slot", mixinStandardHelpOptions = true,
            description = "Moves slots between shard groups, shows and cancels the moves.",
            subcommands = {Slot.Move.class, Slot.Status.class, Slot.Cancel.class})
    static final class Slot implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (move, status, cancel)");
        }

        @Command(name = "move", mixinStandardHelpOptions = true,
                description = {"Moves SLOTS to shard group GROUP while they serve (one task per group",
                    "they come from) and waits for the tasks, printing their progress: phase,",
                    "keys and bytes copied, rate, journal lag, ETA. Stopping the wait does not",
                    "stop the move; 'slot cancel' does, until the move commits. A move that",
                    "fails is undone by itself: its slots stay with their source group."})
        static final class Move implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Parameters(index = "0", paramLabel = "SLOTS", description = "Slots and inclusive ranges, e.g. 0-99,512.")
            String slots;
            @Option(names = "--to", required = true, paramLabel = "GROUP",
                    description = "The shard group to move them to.")
            long targetGroup;
            @CommandLine.Mixin
            AdminCommands.WaitOptions wait;

            @Override
            public Integer call() {
                List<Integer> parsed = parseSlots(spec, slots);
                if (targetGroup < 1) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--to must be a shard group id (1 or more), got " + targetGroup);
                }
                PrintWriter out = spec.commandLine().getOut();
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    List<Long> ids = admin.moveSlots(parsed, targetGroup);
                    String summary = "moving slots " + SlotRanges.compress(parsed) + " (" + parsed.size()
                            + ") to group " + targetGroup + "; " + (ids.size() == 1 ? "task " : "tasks ") + join(ids);
                    if (wait.noWait) {
                        out.println(summary);
                        return ExitCodes.OK;
                    }
                    out.println(summary + "; waiting");
                    out.flush();
                    List<MigrationInfo> ended = new MoveWatcher(admin, out).await(ids, wait.waitTimeout);
                    return report(ended, parsed, out, spec.commandLine().getErr());
                }
            }

            private int report(List<MigrationInfo> ended, List<Integer> moved, PrintWriter out, PrintWriter err) {
                List<Task> failed = new ArrayList<>();
                for (MigrationInfo info : ended) {
                    if (info.getTask().getState() == TaskState.FAILED) {
                        failed.add(info.getTask());
                    }
                }
                if (failed.isEmpty()) {
                    out.println("moved slots " + SlotRanges.compress(moved) + " to group " + targetGroup);
                    return ExitCodes.OK;
                }
                for (Task task : failed) {
                    // A FAILED move was aborted before its commit, so the map never gave its slots away.
                    err.println("kvctl: slot move " + MigrationFormatter.summary(task) + " failed at step "
                            + MigrationFormatter.step(task) + ": " + MigrationFormatter.error(task)
                            + "; it was undone and its slots stay with group " + task.getGroupId());
                }
                return ExitCodes.SERVER_ERROR;
            }
        }

        @Command(name = "status", mixinStandardHelpOptions = true,
                description = {"Lists the slot moves, pending and recently ended, or move task ID:",
                    "source -> target, slots, state, step reached, importer phase, progress",
                    "and last error or abort reason."})
        static final class Status implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "A slot move's task id.")
            Long taskId;
            @Option(names = "--output", defaultValue = "table", converter = OutputFormat.Converter.class,
                    paramLabel = "table|json", description = "table (default) or json, for scripts.")
            OutputFormat output;

            @Override
            public Integer call() {
                if (taskId != null && taskId < 1) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "ID must be a task id (1 or more), got " + taskId);
                }
                List<MigrationInfo> migrations;
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    migrations = admin.migrationStatus(taskId == null ? 0 : taskId);
                }
                spec.commandLine().getOut().print(output == OutputFormat.JSON
                        ? MigrationJson.format(migrations) : MigrationFormatter.table(migrations));
                return ExitCodes.OK;
            }
        }

        @Command(name = "cancel", mixinStandardHelpOptions = true,
                description = {"Cancels slot move task ID if it has not committed: the move is undone",
                    "and its slots stay with their source group. A committed move cannot be",
                    "cancelled; it completes by itself."})
        static final class Cancel implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Parameters(index = "0", paramLabel = "ID", description = "The slot move's task id.")
            long taskId;

            @Override
            public Integer call() {
                if (taskId < 1) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "ID must be a task id (1 or more), got " + taskId);
                }
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    try {
                        admin.cancelMove(taskId);
                    } catch (MetaException e) {
                        if (e.code() != MetaErrorCode.FAILED_PRECONDITION) {
                            throw e;
                        }
                        throw new MetaException(e.code(), whyNot(admin, taskId, e), e);
                    }
                }
                spec.commandLine().getOut().println("task " + taskId + ": cancelled; the move is being undone and its"
                        + " slots stay with their source group ('kvctl slot status " + taskId
                        + "' shows when it has ended)");
                return ExitCodes.OK;
            }

            /** The refusal in the operator's terms: what state the move is in and what can be done instead. */
            private static String whyNot(MetaAdmin admin, long taskId, MetaException refusal) {
                Task task;
                try {
                    List<MigrationInfo> found = admin.migrationStatus(taskId);
                    if (found.isEmpty()) {
                        return refusal.getMessage();
                    }
                    task = found.get(0).getTask();
                } catch (MetaException e) {
                    return refusal.getMessage();
                }
                String slots = SlotRanges.compress(task.getSlotsList());
                String moveBack = "to move them back, run 'kvctl slot move " + slots + " --to "
                        + task.getGroupId() + "'";
                if (task.getState() == TaskState.DONE) {
                    return "task " + taskId + " cannot be cancelled: the move has finished and slots " + slots
                            + " belong to group " + task.getTargetGroupId() + "; " + moveBack;
                }
                if (task.getState() == TaskState.FAILED) {
                    return "task " + taskId + " cannot be cancelled: it has already ended FAILED ("
                            + MigrationFormatter.error(task) + "); slots " + slots + " stayed with group "
                            + task.getGroupId();
                }
                if (COMMITTED_STEPS.contains(task.getStep())) {
                    return "task " + taskId + " cannot be cancelled: it has committed (step " + task.getStep()
                            + "), so slots " + slots + " belong to group " + task.getTargetGroupId()
                            + " and the move completes by itself; once it is done, " + moveBack;
                }
                return "task " + taskId + " cannot be cancelled: " + refusal.getMessage();
            }
        }
    }

    private static List<Integer> parseSlots(CommandLine.Model.CommandSpec spec, String text) {
        try {
            return SlotRanges.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid SLOTS: " + e.getMessage());
        }
    }

    private static String join(List<Long> ids) {
        List<String> text = new ArrayList<>();
        for (long id : ids) {
            text.add(String.valueOf(id));
        }
        return String.join(",", text);
    }
}

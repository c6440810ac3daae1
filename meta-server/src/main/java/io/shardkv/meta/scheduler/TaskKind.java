package io.shardkv.meta.scheduler;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Arrays;

/**
 * How one type of task is carried out: one implementation per {@code TaskType}, each with its
 * steps as an enum. Stateless: where a task stands is its recorded {@link Task#getStep()}, so a
 * new meta leader resumes exactly there; every KvAdmin call is idempotent, so repeating a step
 * whose success was not recorded is harmless.
 */
abstract class TaskKind {
    /** The KvAdmin calls a step makes. */
    final AdminSteps steps;

    TaskKind(AdminSteps steps) {
        this.steps = steps;
    }

    /** Tries the task's next step; {@code group} is the task's group as the map has it. */
    abstract StepResult step(Task task, ClusterMap map, ShardGroupInfo group);

    /**
     * The step of {@code steps} the task recorded, or null when it recorded none this type knows
     * (a map written by another version: the task then fails rather than guess).
     */
    static <S extends Enum<S> & TaskStep> S recorded(Task task, Class<S> steps) {
        return Arrays.stream(steps.getEnumConstants()).filter(s -> s.recorded().equals(task.getStep())).findFirst()
                .orElse(null);
    }

    static StepResult unknownStep(Task task) {
        return new StepResult.Failed("unknown step '" + task.getStep() + "' for " + task.getType());
    }
}

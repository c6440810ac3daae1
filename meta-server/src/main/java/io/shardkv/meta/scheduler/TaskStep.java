package io.shardkv.meta.scheduler;

/**
 * A step a task has finished, as each task type's enum of steps names it. The map records it as
 * text ({@code Task.step}), which a new meta leader parses back to resume exactly there.
 */
public interface TaskStep {
    /** The step's name in the map; "" for a task that has not finished any step. */
    String recorded();
}

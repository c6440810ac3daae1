package io.shardkv.meta.scheduler;

/** What one attempt at a task's next step came to. */
public sealed interface StepResult permits StepResult.Advanced, StepResult.Completed, StepResult.Retry,
        StepResult.Failed {

    /** The step succeeded; the task now stands at {@code step} (record it, then continue). */
    record Advanced(TaskStep step) implements StepResult {
    }

    /** The task's last step succeeded: mark it DONE (its map effect applies then). */
    record Completed() implements StepResult {
    }

    /** The step did not succeed this time; try again later. {@code error} is kept as last_error. */
    record Retry(StepError error) implements StepResult {
    }

    /** The task can never finish (e.g. its server left the map): mark it FAILED. */
    record Failed(String error) implements StepResult {
    }
}

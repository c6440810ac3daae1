package io.shardkv.meta.scheduler;

/** What one attempt at a task's next step came to. */
public sealed interface StepResult permits StepResult.Advanced, StepResult.Completed, StepResult.Retry,
        StepResult.Failed, StepResult.Waiting, StepResult.Decide {

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

    /**
     * Nothing failed, but what the step waits for has not happened yet (an import copying): try
     * again next pass, recording nothing, so the map's version does not move with progress.
     */
    record Waiting(String why) implements StepResult {
    }

    /**
     * The task needs a decision of the meta log to go on (a slot move's commit or abort):
     * propose {@code command}, then continue from the map it makes.
     */
    record Decide(io.shardkv.meta.map.MetaCommand command) implements StepResult {
    }
}

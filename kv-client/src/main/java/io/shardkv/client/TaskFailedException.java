package io.shardkv.client;

import io.shardkv.meta.proto.Task;

/** A meta-server task ended FAILED; {@link #task()} holds its last step and last error. */
public class TaskFailedException extends ShardKvException {
    private final Task task;

    public TaskFailedException(Task task) {
        super("task " + task.getId() + " (" + task.getType() + ") failed at step '" + task.getStep()
                + "': " + task.getLastError(), null);
        this.task = task;
    }

    public Task task() {
        return task;
    }
}

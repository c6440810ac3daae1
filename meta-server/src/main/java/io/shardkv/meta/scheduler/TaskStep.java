package io.shardkv.meta.scheduler;

import java.util.Locale;

/**
 * A step a task has finished, as each task type's enum of steps names it. The map records it as
 * text ({@code Task.step}), which a new meta leader parses back to resume exactly there.
 */
public interface TaskStep {
    /** The enum constant's name. */
    String name();

    /**
     * The step's name in the map: "" for {@code NEW} (no step finished yet), else the constant's
     * name in lower case with dashes ({@code REPLICA_CREATED} is "replica-created"). These names
     * are persisted in every map: never rename a constant.
     */
    default String recorded() {
        return name().equals("NEW") ? "" : name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}

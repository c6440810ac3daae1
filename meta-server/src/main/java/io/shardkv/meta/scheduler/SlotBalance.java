package io.shardkv.meta.scheduler;

/**
 * Slot balancing (DESIGN 5): once no task has been pending for {@code quietMillis} (and no
 * kv-server was down for three times that), the scheduler moves slots from the group holding
 * the most to the one holding the fewest, while they differ by more than {@code tolerance}.
 * {@code quietMillis} 0 turns it off (a group being removed still drains).
 */
public record SlotBalance(long quietMillis, int tolerance) {
    public static final SlotBalance DEFAULT = new SlotBalance(5_000, 8);
    public static final SlotBalance OFF = new SlotBalance(0, 8);

    public SlotBalance {
        if (quietMillis < 0 || tolerance < 1) {
            throw new IllegalArgumentException("slot balancing needs quietMillis >= 0 and tolerance >= 1, got "
                    + quietMillis + " and " + tolerance);
        }
    }
}

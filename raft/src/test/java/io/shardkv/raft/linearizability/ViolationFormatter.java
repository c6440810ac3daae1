package io.shardkv.raft.linearizability;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Renders a {@link Violation} message with the model's own descriptions of operations and states. */
final class ViolationFormatter<S, I, O> {

    /** Keeps messages readable for long histories; the tail of the prefix is what matters most. */
    private static final int MAX_LINES_PER_SECTION = 20;

    private final Model<S, I, O> model;
    private final Map<Operation<I, O>, Integer> positionInHistory;

    /** @param positionInHistory identity map from operation to its index in the checked history */
    ViolationFormatter(Model<S, I, O> model, Map<Operation<I, O>, Integer> positionInHistory) {
        this.model = model;
        this.positionInHistory = positionInHistory;
    }

    String format(String partition, int partitionSize, List<Operation<I, O>> prefix,
                  Set<S> statesAfterPrefix, List<Operation<I, O>> rest) {
        StringBuilder sb = new StringBuilder();
        sb.append("history is not linearizable: no valid order for ").append(partition)
                .append(" (").append(partitionSize).append(" operations)\n");
        sb.append("longest linearizable prefix found: ").append(prefix.size()).append(" operations");
        if (prefix.size() > MAX_LINES_PER_SECTION) {
            sb.append(", last ").append(MAX_LINES_PER_SECTION).append(" shown");
        }
        sb.append('\n');
        for (Operation<I, O> op : prefix.subList(Math.max(0, prefix.size() - MAX_LINES_PER_SECTION), prefix.size())) {
            sb.append("  ").append(line(op)).append('\n');
        }
        sb.append("possible state(s) after it: ")
                .append(statesAfterPrefix.stream().map(model::describeState).sorted()
                        .collect(Collectors.joining(", ", "{", "}")))
                .append('\n');
        sb.append("no valid way to extend it; remaining operations by return time")
                .append(" (each known one must take effect before it returns):\n");
        for (Operation<I, O> op : rest.subList(0, Math.min(rest.size(), MAX_LINES_PER_SECTION))) {
            sb.append("  ").append(line(op)).append('\n');
        }
        if (rest.size() > MAX_LINES_PER_SECTION) {
            sb.append("  ... ").append(rest.size() - MAX_LINES_PER_SECTION).append(" more\n");
        }
        return sb.toString();
    }

    String formatRefuted(String partition, int partitionSize, String reason, List<Operation<I, O>> evidence) {
        StringBuilder sb = new StringBuilder();
        sb.append("history is not linearizable: no valid order for ").append(partition)
                .append(" (").append(partitionSize).append(" operations)\n");
        for (Operation<I, O> op : evidence) {
            sb.append("  ").append(line(op)).append('\n');
        }
        sb.append(reason).append('\n');
        return sb.toString();
    }

    String line(Operation<I, O> op) {
        Integer pos = positionInHistory.get(op);
        String end = op.isUnknown() ? "inf)" : op.returnTime() + "]";
        return (pos == null ? "" : "op#" + pos + " ") + "client " + op.clientId()
                + " [" + op.callTime() + ", " + end + " " + model.describeOperation(op);
    }
}

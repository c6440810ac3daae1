package io.shardkv.bench.peers;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One row of the comparison. Names on the command line:
 * <ul>
 *   <li>{@code write-N}: only writes, N requests in flight;</li>
 *   <li>{@code read-P}: P % reads of keys loaded before, the rest writes, {@code --inflight} in flight;</li>
 *   <li>{@code value-SIZE} (e.g. {@code value-1k}): only writes of SIZE-byte values, {@code --inflight};</li>
 *   <li>{@code cold}: writes at {@code --inflight} during the first seconds of a freshly started
 *       store (a new cluster each round, measured as soon as it reports itself ready);</li>
 *   <li>{@code cold-after-S}: the same, but measured from S seconds after the store reported
 *       itself ready, with writes going on (unmeasured) from the start: how soon a new store is
 *       at full speed.</li>
 * </ul>
 *
 * @param readPercent share of gets, 0..100
 * @param cold        whether it runs on a freshly started store instead of the warm one
 * @param coldDelaySeconds for a cold workload, the seconds of unmeasured writes before the window
 */
record Workload(String name, int readPercent, int valueBytes, int inflight, boolean cold, int coldDelaySeconds) {
    private static final Pattern COLD_AFTER = Pattern.compile("cold-after-([0-9]+)");
    private static final Pattern WRITE = Pattern.compile("write-([0-9]+)");
    private static final Pattern READ = Pattern.compile("read-([0-9]+)");
    private static final Pattern VALUE = Pattern.compile("value-(.+)");
    static final int MAX_INFLIGHT = 10_000;

    Workload {
        if (readPercent < 0 || readPercent > 100) {
            throw new IllegalArgumentException(name + ": the read share must be 0 to 100 %, got " + readPercent);
        }
        if (inflight < 1 || inflight > MAX_INFLIGHT) {
            throw new IllegalArgumentException(name + ": requests in flight must be 1 to " + MAX_INFLIGHT
                    + ", got " + inflight);
        }
        if (valueBytes < 1) {
            throw new IllegalArgumentException(name + ": values must have at least 1 byte, got " + valueBytes);
        }
        if (coldDelaySeconds < 0 || coldDelaySeconds > 3600 || (!cold && coldDelaySeconds != 0)) {
            throw new IllegalArgumentException(name + ": a cold workload waits 0 to 3600 s, got " + coldDelaySeconds);
        }
    }

    /** Parses a name; {@code inflight} and {@code valueBytes} are the defaults the name does not fix. */
    static Workload parse(String name, int inflight, int valueBytes) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        Matcher m;
        if ((m = WRITE.matcher(n)).matches()) {
            return new Workload(n, 0, valueBytes, parseCount(n, m.group(1)), false, 0);
        }
        if ((m = READ.matcher(n)).matches()) {
            return new Workload(n, parseCount(n, m.group(1)), valueBytes, inflight, false, 0);
        }
        if ((m = VALUE.matcher(n)).matches()) {
            return new Workload(n, 0, Sizes.parse(m.group(1)), inflight, false, 0);
        }
        if (n.equals("cold")) {
            return new Workload(n, 0, valueBytes, inflight, true, 0);
        }
        if ((m = COLD_AFTER.matcher(n)).matches()) {
            return new Workload(n, 0, valueBytes, inflight, true, parseCount(n, m.group(1)));
        }
        throw new IllegalArgumentException("unknown workload '" + name
                + "': use write-N, read-P, value-SIZE (e.g. value-1k), cold or cold-after-S");
    }

    private static int parseCount(String name, String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + digits + " is too large");
        }
    }

    /** A line saying what the workload does, for the report's headings. */
    String describe() {
        String mix = readPercent == 0 ? "writes" : readPercent + " % reads, " + (100 - readPercent) + " % writes";
        return name + ": " + mix + ", " + Sizes.format(valueBytes) + " values, " + inflight + " in flight"
                + (!cold ? "" : coldDelaySeconds == 0 ? ", right after the store starts"
                : ", from " + coldDelaySeconds + " s after the store starts");
    }
}

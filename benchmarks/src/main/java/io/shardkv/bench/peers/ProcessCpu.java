package io.shardkv.bench.peers;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time of processes: this JVM's from the platform MXBean, the servers' from
 * {@code /proc/PID/stat} (user + system time, in clock ticks of 10 ms on Linux).
 */
final class ProcessCpu {
    /** USER_HZ: Linux reports times in /proc in 1/100 s on every architecture the JDK runs on. */
    static final long NANOS_PER_TICK = 10_000_000L;

    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private ProcessCpu() {
    }

    /** This JVM's CPU time so far: the driver and whichever client library it runs. */
    static long selfNanos() {
        return OS.getProcessCpuTime();
    }

    /** Sum of the processes' CPU times; a process that is gone counts 0 (the caller sees a drop). */
    static long nanosOf(List<Long> pids) {
        long total = 0;
        for (long pid : pids) {
            try {
                total += ticksFromStat(Files.readString(Path.of("/proc", Long.toString(pid), "stat")))
                        * NANOS_PER_TICK;
            } catch (NoSuchFileException gone) {
                // An exited server has no CPU left to count.
            } catch (IOException e) {
                throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
            }
        }
        return total;
    }

    /**
     * utime + stime of one {@code /proc/PID/stat} line. The command name (field 2) is in
     * parentheses and may hold spaces or parentheses, so fields are counted after the last ')'.
     */
    static long ticksFromStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat);
        }
        // After ")": state(3) ppid(4) ... utime(14) stime(15), so utime is the 12th field.
        String[] fields = stat.substring(close + 1).trim().split("\\s+");
        if (fields.length < 13) {
            throw new IllegalArgumentException("a /proc stat line with " + fields.length + " fields after the name");
        }
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}

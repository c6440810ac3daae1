package io.shardkv.raft.storage;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The child process of {@link RocksCrashRecoveryTest}: opens the engine, then writes the steps of a
 * {@link CrashWorkload} one synced write at a time, printing {@code acked <step> <summary>} to
 * stdout only after each write returned, until the parent kills it with SIGKILL.
 *
 * <p>Arguments: engine directory, workload seed, number of steps already durable (the child
 * resumes after them; 0 for a fresh directory), and the most steps to write before exiting on its
 * own (a bound in case the parent is gone).
 */
public final class RocksCrashWriterMain {

    private RocksCrashWriterMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        long resumeAfter = Long.parseLong(args[2]);
        long maxSteps = Long.parseLong(args[3]);
        // Autoflush: an acknowledgement leaves the process as soon as it is printed, each line in one write.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);

        CrashWorkload workload = new CrashWorkload(seed);
        workload.advanceTo(resumeAfter);
        try (RocksLogEngine engine = RocksLogEngine.open(dir)) {
            for (long g : CrashWorkload.GROUP_IDS) {
                if (engine.group(g).isEmpty()) {
                    engine.createGroup(g, CrashWorkload.MEMBERS);
                }
            }
            out.println("ready");
            while (workload.seq() < maxSteps) {
                CrashWorkload.Step step = workload.next();
                CrashWorkload.applyTo(engine, step);
                workload.apply(step);
                out.print("acked " + step.seq() + " " + workload.summary() + "\n");
                if (out.checkError()) {
                    // The parent closed the pipe: nobody is listening any more.
                    return;
                }
            }
        }
    }
}

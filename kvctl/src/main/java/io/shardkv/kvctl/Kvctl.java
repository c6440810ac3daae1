package io.shardkv.kvctl;

import io.shardkv.client.Endpoints;
import io.shardkv.client.KvClient;
import io.shardkv.client.MetaAdmin;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * kvctl, the ShardKV command line: data commands (put, get, del, scan), cluster status,
 * shard-group and member administration, slot moves, and a benchmark. Exit codes are in {@link ExitCodes}.
 */
@Command(name = "kvctl", mixinStandardHelpOptions = true, version = "kvctl 0.1.0",
        description = "Reads and writes ShardKV keys and administers the cluster.",
        subcommands = {
            DataCommands.Put.class, DataCommands.Get.class, DataCommands.Del.class, DataCommands.Scan.class,
            AdminCommands.Cluster.class, AdminCommands.Group.class, AdminCommands.Member.class,
            SlotCommands.Slot.class, BenchCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success", "1:key not found (get)", "2:bad usage or invalid argument",
            "3:cluster unavailable or timed out", "4:other server error"
        })
public final class Kvctl implements Runnable {
    /** The local cluster's meta-servers (bin/kv-cluster). */
    public static final String DEFAULT_META = "127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002";
    public static final String META_ENV = "SHARDKV_META";

    private final Map<String, String> env;

    @Option(names = "--meta", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT,...",
            description = "Meta-server endpoints (default: $SHARDKV_META, else " + DEFAULT_META + ").")
    String meta;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "Deadline of each request, retries included (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public Kvctl(Map<String, String> env) {
        this.env = env;
    }

    /**
     * gRPC logs a connection it cannot make as a multi-line WARNING with a stack trace; kvctl says
     * what failed in one line of its own. Held here: java.util.logging keeps loggers weakly, and a
     * collected logger would forget its level.
     */
    private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

    public static void main(String[] args) {
        GRPC_LOG.setLevel(Level.OFF);
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(args, out, err, System.getenv());
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs kvctl in-process with the given streams and environment; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        CommandLine commandLine = new CommandLine(new Kvctl(env));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((ex, arguments) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("kvctl: " + ex.getMessage());
            e.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            e.flush();
            return ExitCodes.USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            PrintWriter e = cmd.getErr();
            e.println("kvctl: " + ExitCodes.messageOf(ex));
            if (!ExitCodes.isExpected(ex)) {
                ex.printStackTrace(e);
            }
            e.flush();
            return ExitCodes.of(ex);
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Without a subcommand: print the usage and fail as bad usage. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    List<String> metaEndpoints() {
        String value = meta;
        if (value == null || value.isBlank()) {
            value = env.get(META_ENV);
        }
        if (value == null || value.isBlank()) {
            value = DEFAULT_META;
        }
        return Endpoints.parse(value);
    }

    Duration timeout() {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be positive, got " + timeout);
        }
        return timeout;
    }

    KvClient newClient() {
        return KvClient.builder().metaEndpoints(metaEndpoints()).requestDeadline(timeout()).build();
    }

    MetaAdmin newAdmin() {
        return MetaAdmin.connect(metaEndpoints(), timeout());
    }

    /** The Kvctl a subcommand runs under. */
    static Kvctl root(CommandLine.Model.CommandSpec spec) {
        return (Kvctl) spec.root().userObject();
    }
}

package io.shardkv.kvctl;

import io.shardkv.client.Endpoints;
import io.shardkv.client.KvClient;
import io.shardkv.client.MetaAdmin;
import io.shardkv.security.ClientSecurity;
import java.io.PrintWriter;
import java.nio.file.Path;
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
            SlotCommands.Slot.class, BenchCommand.class, CertCommands.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success", "1:key not found (get)", "2:bad usage or invalid argument",
            "3:cluster unavailable or timed out", "4:other server error",
            "5:permission denied (the certificate's role may not do this)"
        })
public final class Kvctl implements Runnable {
    /** The local cluster's meta-servers (bin/kv-cluster). */
    public static final String DEFAULT_META = "127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002";
    public static final String META_ENV = "SHARDKV_META";
    public static final String CERTS_DIR_ENV = "SHARDKV_CERTS_DIR";
    public static final String USER_ENV = "SHARDKV_USER";
    public static final String INSECURE_ENV = "SHARDKV_INSECURE";
    /** Set by bin/kvctl to the local cluster's certificates (bin/kv-cluster), when they exist. */
    public static final String LOCAL_CERTS_ENV = "SHARDKV_LOCAL_CERTS_DIR";
    public static final String DEFAULT_USER = "root";

    private final Map<String, String> env;

    @Option(names = "--meta", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT,...",
            description = "Meta-server endpoints (default: $SHARDKV_META, else " + DEFAULT_META + ").")
    String meta;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "Deadline of each request, retries included (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--certs-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = {"Certificates: DIR/ca.crt and DIR/client.USER.crt/.key (default: $" + CERTS_DIR_ENV
                    + ", else the local cluster's from bin/kv-cluster). kvctl cert writes here."})
    Path certsDir;

    @Option(names = "--user", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Whose client certificate to present (default: $" + USER_ENV + ", else " + DEFAULT_USER + ").")
    String user;

    @Option(names = "--insecure", scope = ScopeType.INHERIT,
            description = "Plaintext without certificates, for a cluster started with --insecure (also "
                    + INSECURE_ENV + "=true).")
    boolean insecure;

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
            Kvctl root = (Kvctl) cmd.getCommandSpec().root().userObject();
            if (root.insecure && ExitCodes.of(ex) == ExitCodes.UNAVAILABLE) {
                e.println("kvctl: (this ran with --insecure: a cluster with TLS refuses plaintext connections)");
            }
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
        return KvClient.builder().metaEndpoints(metaEndpoints()).requestDeadline(timeout()).security(security())
                .build();
    }

    MetaAdmin newAdmin() {
        return MetaAdmin.connect(metaEndpoints(), timeout(), security());
    }

    /** The certificates directory named by --certs-dir or the environment; null if none is. */
    Path certsDirOption() {
        if (certsDir != null) {
            return certsDir;
        }
        String env = this.env.get(CERTS_DIR_ENV);
        return env == null || env.isBlank() ? null : Path.of(env.trim());
    }

    /**
     * How to reach the cluster: flags first (--insecure, --certs-dir), then the environment
     * (SHARDKV_INSECURE, SHARDKV_CERTS_DIR), then the local cluster's certificates. Never
     * plaintext unless asked for.
     */
    ClientSecurity security() {
        if (insecure && certsDir != null) {
            throw new IllegalArgumentException("--insecure and --certs-dir contradict each other: choose one");
        }
        if (insecure) {
            return ClientSecurity.insecure();
        }
        Path dir = certsDir;
        if (dir == null && "true".equalsIgnoreCase(String.valueOf(env.get(INSECURE_ENV)).trim())) {
            return ClientSecurity.insecure();
        }
        if (dir == null) {
            dir = certsDirOption();
        }
        if (dir == null && env.get(LOCAL_CERTS_ENV) != null && !env.get(LOCAL_CERTS_ENV).isBlank()) {
            dir = Path.of(env.get(LOCAL_CERTS_ENV).trim());
        }
        if (dir == null) {
            throw new IllegalArgumentException("no certificates: pass --certs-dir DIR (or set " + CERTS_DIR_ENV
                    + ") with ca.crt and client.USER.crt/.key (kvctl cert create-client), or --insecure for a cluster"
                    + " started with --insecure");
        }
        String name = user != null ? user : env.getOrDefault(USER_ENV, DEFAULT_USER);
        return ClientSecurity.certsDir(dir, name);
    }

    /** The Kvctl a subcommand runs under. */
    static Kvctl root(CommandLine.Model.CommandSpec spec) {
        return (Kvctl) spec.root().userObject();
    }
}

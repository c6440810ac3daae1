package io.shardkv.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/kv-chaos}: runs a cluster in network namespaces under a seeded nemesis while clients
 * run, then checks what the clients saw. The script {@code bin/kv-chaos} sets the servers'
 * classpaths ({@code SHARDKV_CHAOS_META_CP}, {@code SHARDKV_CHAOS_KV_CP}), holds the lock of the
 * network number and cleans up after this JVM whatever way it ends.
 */
@Command(name = "kv-chaos", mixinStandardHelpOptions = true, version = "kv-chaos 0.1.0", sortOptions = false,
        description = {
            "Runs a ShardKV cluster whose servers each live in their own network namespace, with clients on a few keys,"
                + " under a seeded nemesis; then heals, waits for recovery, reads every key, and checks the history for"
                + " linearizability and lost acknowledged writes. Needs root.",
            "The last line is: chaos: N ops (M ok), K keys, A anomalies, L lost writes; history PATH"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:no anomaly and no lost write", "1:anomalies, lost writes, or a history that could not be verified",
            "2:bad usage", "3:the run could not be carried out (network, servers, cluster not ready)"})
public final class ChaosMain implements Callable<Integer> {
    @Option(names = "--seconds", paramLabel = "N", defaultValue = "60",
            description = "How long the nemesis acts (default ${DEFAULT-VALUE}); setup, recovery and the check come on top.")
    int seconds;

    @Option(names = "--nemesis", paramLabel = "KIND,...", defaultValue = "partition,kill,pause,move,member",
            description = "What the nemesis may do (default ${DEFAULT-VALUE}).")
    String nemesis;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the nemesis and the clients (default: random, printed).")
    Long seed;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Servers' data and logs, history.txt, anomalies.txt, events.log (default: .kv-chaos in the"
                + " repository). Its servers/ is wiped at the start.")
    Path dir;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "12",
            description = "Client threads, each with its own KvClient, spread over the keys (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "6", description = "Checked keys (default ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--rate", paramLabel = "OPS", defaultValue = "20",
            description = "Operations per second of each client at most (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--meta", paramLabel = "N", defaultValue = "3", description = "Meta-servers (default ${DEFAULT-VALUE}).")
    int metas;

    @Option(names = "--kv", paramLabel = "N", defaultValue = "4",
            description = "Kv-servers (default ${DEFAULT-VALUE}: one more than the replicas, so members can be added).")
    int kvs;

    @Option(names = "--groups", paramLabel = "N", defaultValue = "3", description = "Shard groups (default ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "3", description = "Replicas per group (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--net", paramLabel = "N", defaultValue = "0",
            description = "Network number 0..99: namespaces skvcN-*, addresses 10.77.N.0/24 (default ${DEFAULT-VALUE});"
                + " runs at the same time need different numbers.")
    int net;

    private final Map<String, String> env;

    ChaosMain(Map<String, String> env) {
        this.env = env;
    }

    /**
     * gRPC logs each connection it cannot make (every kill and cut makes some) as a WARNING with a
     * stack trace; the run's own log says what happened. Held here so the logger keeps its level.
     */
    private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

    public static void main(String[] args) {
        GRPC_LOG.setLevel(Level.OFF);
        CommandLine cl = new CommandLine(new ChaosMain(System.getenv()));
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("kv-chaos: " + ex.getMessage());
            System.err.println("try: kv-chaos --help");
            return 2;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public Integer call() {
        ChaosSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            System.err.println("kv-chaos: " + e.getMessage());
            return 2;
        }
        ChaosRun run = new ChaosRun(settings, System.out);
        Thread hook = new Thread(() -> {
            if (run.cleanup()) {
                System.err.println("kv-chaos: stopped before the end; killed the servers and removed the network");
            }
        }, "kv-chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ChaosRun.Outcome outcome = run.run();
            System.out.println(outcome.summaryLine());
            return outcome.exitCode();
        } catch (ChaosException e) {
            System.out.flush();
            System.err.println("kv-chaos: " + e.getMessage());
            return 3;
        } catch (RuntimeException e) {
            // A bug or an answer the driver did not expect: the run cannot be judged.
            System.out.flush();
            System.err.println("kv-chaos: the run failed: " + e);
            e.printStackTrace();
            return 3;
        } finally {
            run.cleanup();
            run.closeLog();
        }
    }

    private ChaosSettings settings() {
        positive("--seconds", seconds);
        positive("--clients", clients);
        positive("--keys", keys);
        positive("--rate", rate);
        positive("--meta", metas);
        positive("--kv", kvs);
        positive("--groups", groups);
        positive("--replicas", replicas);
        if (metas > 9) {
            throw new IllegalArgumentException("--meta is at most 9");
        }
        if (kvs > 99) {
            throw new IllegalArgumentException("--kv is at most 99");
        }
        if (replicas > kvs) {
            throw new IllegalArgumentException("--replicas " + replicas + " needs at least that many kv-servers (--kv " + kvs + ")");
        }
        if (net < 0 || net > 99) {
            throw new IllegalArgumentException("--net must be in 0..99, got " + net);
        }
        String metaCp = required("SHARDKV_CHAOS_META_CP");
        String kvCp = required("SHARDKV_CHAOS_KV_CP");
        Path root = Path.of(env.getOrDefault("SHARDKV_ROOT", ".")).toAbsolutePath().normalize();
        Path where = (dir != null ? dir : root.resolve(".kv-chaos")).toAbsolutePath().normalize();
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, 1_000_000);
        String javaHome = env.get("JAVA_HOME");
        String java = javaHome == null || javaHome.isBlank() ? "java" : Path.of(javaHome, "bin", "java").toString();
        String common = env.getOrDefault("SHARDKV_JAVA_OPTS", "").strip();
        List<String> metaOpts = common.isEmpty() ? List.of("-Xmx256m") : Arrays.asList(common.split("\\s+"));
        List<String> kvOpts = common.isEmpty() ? List.of("-Xmx512m") : Arrays.asList(common.split("\\s+"));
        return new ChaosSettings(Duration.ofSeconds(seconds), NemesisKind.parse(nemesis), s, where, clients, keys, rate,
                metas, kvs, groups, replicas, net, java, metaCp, kvCp, metaOpts, kvOpts);
    }

    private String required(String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " is not set; run kv-chaos through bin/kv-chaos");
        }
        return v;
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " needs a positive number, got " + value);
        }
    }
}

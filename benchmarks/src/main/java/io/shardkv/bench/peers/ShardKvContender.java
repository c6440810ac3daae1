package io.shardkv.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A ShardKV cluster started with {@code bin/kv-cluster up} (see {@link KvClusterCommand}) and
 * driven through KvClient. {@link #close()} runs {@code kv-cluster down --purge}.
 */
final class ShardKvContender implements Contender {
    private final KvClusterCommand command;
    private final StoreClient client;
    private final List<Long> pids;
    private boolean closed;

    private ShardKvContender(KvClusterCommand command, StoreClient client, List<Long> pids) {
        this.command = command;
        this.client = client;
        this.pids = pids;
    }

    /** Runs {@code kv-cluster up}, which returns once every group has a leader and all slots are owned. */
    static ShardKvContender start(KvClusterCommand command) throws InterruptedException {
        Path log = command.dir().resolveSibling(command.dir().getFileName() + "-kv-cluster.log");
        try {
            // kv-cluster down --purge deletes the cluster's directory, so its own output lives next to it.
            int exit = run(command.up(), log);
            if (exit != 0) {
                new ShardKvContender(command, null, List.of()).close();
                throw new IllegalStateException("bin/kv-cluster up exited with " + exit + ":\n" + tail(log));
            }
            List<Long> pids = new ArrayList<>();
            for (String name : command.serverNames()) {
                pids.add(Long.parseLong(Files.readString(command.dir().resolve(name).resolve("pid")).trim()));
            }
            return new ShardKvContender(command, new ShardKvStoreClient(command.client()), List.copyOf(pids));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start ShardKV in " + command.dir(), e);
        }
    }

    @Override
    public String name() {
        return "shardkv-" + command.groups() + "g";
    }

    @Override
    public StoreClient client() {
        return client;
    }

    @Override
    public List<Long> serverPids() {
        return pids;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            stop(command);
        }
    }

    /** Runs {@code kv-cluster down --purge}, which does nothing where no cluster was started. */
    static void stop(KvClusterCommand command) {
        Path log = command.dir().resolveSibling(command.dir().getFileName() + "-kv-cluster.log");
        try {
            int exit = run(command.down(), log);
            if (exit != 0) {
                System.err.println("bench-peers: bin/kv-cluster down exited with " + exit + ":\n" + tail(log));
            }
        } catch (IOException e) {
            System.err.println("bench-peers: bin/kv-cluster down failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("bench-peers: interrupted while stopping " + command.dir());
        }
    }

    private static int run(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return p.waitFor();
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}

package io.shardkv.kvctl;

import io.shardkv.client.MetaAdmin;
import io.shardkv.client.MetaException;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.ShardgroupMembersChangeResponse;
import io.shardkv.meta.proto.Task;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * cluster status, group add/remove/transfer-leader, member add/remove. Changes wait for their meta-server
 * task to finish, printing each step, unless {@code --no-wait} (then they print the task id).
 */
final class AdminCommands {
    private AdminCommands() {
    }

    /** Options of every change: whether and how long to wait for the task. */
    static final class WaitOptions {
        @Option(names = "--no-wait", description = "Print the task id and return without waiting for it.")
        boolean noWait;

        @Option(names = "--wait-timeout", paramLabel = "DURATION", defaultValue = "5m",
                converter = DurationConverter.class,
                description = "How long to wait for the task (default: ${DEFAULT-VALUE}).")
        Duration waitTimeout;

        int finish(MetaAdmin admin, long taskId, String summary, PrintWriter out) {
            if (noWait) {
                out.println(summary + "; task " + taskId);
                return ExitCodes.OK;
            }
            out.println(summary + "; waiting for task " + taskId);
            out.flush();
            Task done = admin.awaitTask(taskId, waitTimeout, task -> {
                out.println("  " + StatusFormatter.describe(task));
                out.flush();
            });
            out.println("task " + done.getId() + " done");
            return ExitCodes.OK;
        }
    }

    static String members(ShardGroupInfo group) {
        List<String> ids = new ArrayList<>();
        for (Replica replica : group.getReplicasList()) {
            ids.add(String.valueOf(replica.getServerId()));
        }
        return String.join(",", ids);
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster-wide commands.",
            subcommands = {Cluster.Status.class, Cluster.Wait.class})
    static final class Cluster implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (status, wait)");
        }

        @Command(name = "wait", mixinStandardHelpOptions = true,
                description = {"Waits until the cluster can serve: at least --groups shard groups, each with a leader,",
                    "all 1024 slots owned and assigned. --timeout is the whole wait. Exit code 3 if it never is."})
        static final class Wait implements Callable<Integer> {
            /** Each status request gets at most this long, so a hung meta-server is retried. */
            private static final Duration MAX_REQUEST = Duration.ofSeconds(5);
            private static final long POLL_MILLIS = 250;

            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Option(names = "--groups", defaultValue = "1", paramLabel = "N",
                    description = "Shard groups to wait for (default: ${DEFAULT-VALUE}).")
            int groups;

            @Override
            public Integer call() throws InterruptedException {
                Kvctl root = Kvctl.root(spec);
                Duration timeout = root.timeout();
                PrintWriter out = spec.commandLine().getOut();
                long deadline = System.nanoTime() + timeout.toNanos();
                Duration perRequest = timeout.compareTo(MAX_REQUEST) < 0 ? timeout : MAX_REQUEST;
                String last = "no answer yet";
                try (MetaAdmin admin = MetaAdmin.connect(root.metaEndpoints(), perRequest, root.security())) {
                    while (true) {
                        try {
                            String missing = ClusterReadiness.missing(admin.clusterStatus(), groups);
                            if (missing == null) {
                                out.println("ready");
                                return ExitCodes.OK;
                            }
                            if (!missing.equals(last)) {
                                out.println("waiting: " + missing);
                                out.flush();
                            }
                            last = missing;
                        } catch (MetaException e) {
                            if (ExitCodes.of(e) != ExitCodes.UNAVAILABLE) {
                                throw e;
                            }
                            // Meta-servers still starting or electing: keep waiting, remember why.
                            last = e.getMessage();
                        }
                        if (System.nanoTime() + POLL_MILLIS * 1_000_000 > deadline) {
                            throw new MetaException(MetaErrorCode.TIMEOUT,
                                    "the cluster was not ready within " + timeout.toMillis() + " ms: " + last);
                        }
                        // Polling a cluster that is starting; bounded by the deadline.
                        Thread.sleep(POLL_MILLIS);
                    }
                }
            }
        }

        @Command(name = "status", mixinStandardHelpOptions = true,
                description = {"Servers, shard groups with leaders and slots, pending tasks.",
                    "--output json prints the same as one object, for scripts."})
        static final class Status implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Option(names = "--output", defaultValue = "table", converter = OutputFormat.Converter.class,
                    paramLabel = "table|json", description = "table (default) or json, for scripts.")
            OutputFormat output;

            @Override
            public Integer call() {
                ClusterStatusResponse status;
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    status = admin.clusterStatus();
                }
                spec.commandLine().getOut().print(output == OutputFormat.JSON
                        ? StatusJson.format(status) : StatusFormatter.format(status));
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "group", mixinStandardHelpOptions = true, description = "Adds or removes shard groups.",
            subcommands = {Group.Add.class, Group.Remove.class, Group.TransferLeader.class})
    static final class Group implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "missing subcommand (add, remove, transfer-leader)");
        }

        @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
                description = {"Makes SERVER, a voter of GROUP, the group's leader. The meta-server also moves",
                    "leaders by itself to even them out over the servers (meta setting leader-balance-millis)."})
        static final class TransferLeader implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Parameters(index = "0", paramLabel = "GROUP")
            long groupId;
            @Option(names = "--to", required = true, paramLabel = "SERVER", description = "The new leader.")
            long serverId;
            @CommandLine.Mixin
            WaitOptions wait;

            @Override
            public Integer call() {
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    ShardgroupMembersChangeResponse response = admin.transferLeader(groupId, serverId);
                    String summary = "moving the leadership of group " + groupId + " to server " + serverId
                            + " (config version " + response.getConfigVersion() + ")";
                    return wait.finish(admin, response.getTaskId(), summary, spec.commandLine().getOut());
                }
            }
        }

        @Command(name = "add", mixinStandardHelpOptions = true,
                description = "Adds a shard group on --servers, or on --replicas servers the meta-server picks.")
        static final class Add implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Option(names = "--replicas", defaultValue = "3", description = "Number of voters (default: ${DEFAULT-VALUE}).")
            int replicas;
            @Option(names = "--servers", split = ",", paramLabel = "ID,ID,...", description = "The exact servers.")
            List<Long> servers;
            @CommandLine.Mixin
            WaitOptions wait;

            @Override
            public Integer call() {
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    ClusterShardgroupChangeResponse response = servers == null || servers.isEmpty()
                            ? admin.addGroup(replicas)
                            : admin.addGroup(servers);
                    String summary = "group " + response.getGroup().getId() + " on servers "
                            + members(response.getGroup()) + " (config version " + response.getConfigVersion() + ")";
                    return wait.finish(admin, response.getTaskId(), summary, spec.commandLine().getOut());
                }
            }
        }

        @Command(name = "remove", mixinStandardHelpOptions = true,
                description = "Removes a shard group; its slots move to the other groups first.")
        static final class Remove implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @Parameters(index = "0", paramLabel = "GROUP")
            long groupId;
            @CommandLine.Mixin
            WaitOptions wait;

            @Override
            public Integer call() {
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    ClusterShardgroupChangeResponse response = admin.removeGroup(groupId);
                    String summary = "removing group " + groupId + " (config version " + response.getConfigVersion() + ")";
                    return wait.finish(admin, response.getTaskId(), summary, spec.commandLine().getOut());
                }
            }
        }
    }

    @Command(name = "member", mixinStandardHelpOptions = true, description = "Adds or removes a group's members.",
            subcommands = {Member.Add.class, Member.Remove.class})
    static final class Member implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (add, remove)");
        }

        /** --group and --server, both required. */
        static final class Target {
            @Option(names = "--group", required = true, paramLabel = "GROUP")
            long groupId;
            @Option(names = "--server", required = true, paramLabel = "SERVER")
            long serverId;
        }

        @Command(name = "add", mixinStandardHelpOptions = true,
                description = "Adds SERVER to GROUP: as a learner, then promoted to voter once caught up.")
        static final class Add implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @CommandLine.Mixin
            Target target;
            @CommandLine.Mixin
            WaitOptions wait;

            @Override
            public Integer call() {
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    ShardgroupMembersChangeResponse response = admin.addMember(target.groupId, target.serverId);
                    String summary = "adding server " + target.serverId + " to group " + target.groupId
                            + " (config version " + response.getConfigVersion() + ")";
                    return wait.finish(admin, response.getTaskId(), summary, spec.commandLine().getOut());
                }
            }
        }

        @Command(name = "remove", mixinStandardHelpOptions = true, description = "Removes SERVER from GROUP.")
        static final class Remove implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;
            @CommandLine.Mixin
            Target target;
            @CommandLine.Mixin
            WaitOptions wait;

            @Override
            public Integer call() {
                try (MetaAdmin admin = Kvctl.root(spec).newAdmin()) {
                    ShardgroupMembersChangeResponse response = admin.removeMember(target.groupId, target.serverId);
                    String summary = "removing server " + target.serverId + " from group " + target.groupId
                            + " (config version " + response.getConfigVersion() + ")";
                    return wait.finish(admin, response.getTaskId(), summary, spec.commandLine().getOut());
                }
            }
        }
    }
}

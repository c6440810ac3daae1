package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.linearizability.HistoryRecorder;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.runtime.RaftRequestException;
import io.shardkv.raft.runtime.RaftServer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * Simulated clients of the servers, each with one operation at a time on a few keys of every
 * group, as a kv-server's request path does it: a write is a proposal that succeeds when
 * applied; a read confirms a read index and then reads the local state machine. Every
 * operation is recorded with its invocation and answer times for the linearizability checker.
 * A refusal that proves the operation did not happen (not the leader, a busy mailbox, an entry
 * replaced by another leader) is retried elsewhere within the operation's deadline; any other
 * failure or a deadline without an answer is an unknown outcome.
 */
final class SimClients {
    /** How long a client waits for one operation before it gives up on knowing its outcome. */
    static final long OP_DEADLINE_NANOS = 3_000_000_000L;

    private final RuntimeWorld world;
    private final HistoryRecorder<KvInput, KvOutput> history = new HistoryRecorder<>();
    private final ReadMode readMode;
    private boolean running;
    private long values;
    private int ok;

    SimClients(RuntimeWorld world, ReadMode readMode) {
        this.world = world;
        this.readMode = readMode;
    }

    static String key(long groupId, int i) {
        return "g" + groupId + "-k" + i;
    }

    static final int KEYS_PER_GROUP = 3;
    /**
     * How long one try waits for an answer (a server may be frozen): then a read asks another
     * replica, and a write ends with an unknown outcome and the next one goes elsewhere.
     */
    private static final long ATTEMPT_TIMEOUT_NANOS = 700_000_000L;
    /** Longest pause between one client's operations. */
    private static final long THINK_NANOS = 100_000_000L;

    HistoryRecorder<KvInput, KvOutput> history() {
        return history;
    }

    int okCount() {
        return ok;
    }

    /** Starts {@code count} clients that run until {@link #stop()}. */
    void start(int count) {
        running = true;
        for (int c = 0; c < count; c++) {
            long clientId = c;
            world.queue.after(world.random.nextLong(50_000_000), "client", 0, () -> next(clientId));
        }
    }

    void stop() {
        running = false;
    }

    private void next(long clientId) {
        if (!running) {
            return;
        }
        long groupId = 1 + world.random.nextInt(world.profile.groups());
        String key = key(groupId, world.random.nextInt(KEYS_PER_GROUP));
        int choice = world.random.nextInt(10);
        KvInput input = choice < 5 ? KvInput.get(key)
                : choice < 9 ? KvInput.put(key, "v" + ++values) : KvInput.delete(key);
        perform(clientId, groupId, input, ok -> {
            if (ok && !(input instanceof KvInput.Get) && world.random.nextBoolean()) {
                // Read your write at once, often from a follower: the read must see it.
                perform(clientId, groupId, KvInput.get(key), ok2 -> thinkThenNext(clientId));
            } else {
                thinkThenNext(clientId);
            }
        });
    }

    private void thinkThenNext(long clientId) {
        world.queue.after(world.random.nextLong(THINK_NANOS), "client", 0, () -> next(clientId));
    }

    /**
     * Performs one recorded operation; {@code done} hears whether it succeeded, once it ended
     * (answered, failed or past its deadline).
     */
    void perform(long clientId, long groupId, KvInput input, Consumer<Boolean> done) {
        long op = history.invoke(clientId, input, world.queue.now());
        Attempt a = new Attempt(op, groupId, input, world.queue.now() + OP_DEADLINE_NANOS, done);
        world.queue.at(a.deadline, "client deadline", 0, null, 0, () -> a.finish(null));
        List<Long> replicas = world.replicas(groupId);
        // Half the reads go to any replica: a follower forwards the read index to its leader and
        // answers once it has applied that far itself.
        boolean anyReplica = input instanceof KvInput.Get && world.random.nextBoolean();
        a.tryOn(anyReplica ? replicas.get(world.random.nextInt(replicas.size())) : world.leaderGuess(groupId));
    }

    /** One operation and its tries, until an answer, an unknown outcome or its deadline. */
    private final class Attempt {
        final long op;
        final long groupId;
        final KvInput input;
        final long deadline;
        final Consumer<Boolean> done;
        boolean finished;
        int attempts;

        Attempt(long op, long groupId, KvInput input, long deadline, Consumer<Boolean> done) {
            this.op = op;
            this.groupId = groupId;
            this.input = input;
            this.deadline = deadline;
            this.done = done;
        }

        /** Ends the operation: with an answer, or (null) with an unknown outcome. */
        void finish(KvOutput out) {
            if (finished) {
                return;
            }
            finished = true;
            if (out == null) {
                history.completeUnknown(op);
            } else {
                history.complete(op, out, world.queue.now());
                ok++;
            }
            done.accept(out != null);
        }

        void retry(long server, long delayNanos) {
            if (!finished && world.queue.now() + delayNanos < deadline) {
                world.queue.after(delayNanos, "client retry", 0, () -> tryOn(server));
            }
        }

        void tryOn(long serverId) {
            if (finished) {
                return;
            }
            SimServer s = world.server(serverId);
            RaftServer raft = s.raft();
            List<Long> replicas = world.replicas(groupId);
            if (raft == null || !replicas.contains(serverId)) {
                // Connection refused: nothing was sent, so it is safe to try another replica.
                retry(replicas.get(world.random.nextInt(replicas.size())), 5_000_000);
                return;
            }
            long latency = world.profile.delays().latency(world.random);
            int attempt = ++attempts;
            world.queue.after(ATTEMPT_TIMEOUT_NANOS, "client attempt timeout", 0, () -> {
                if (finished || attempt != attempts) {
                    return;
                }
                world.forgetLeader(groupId, serverId);
                if (input instanceof KvInput.Get) {
                    // A read changes nothing: ask another replica (a late answer still counts).
                    retry(replicas.get(world.random.nextInt(replicas.size())), 0);
                } else {
                    finish(null); // it may still apply: never sent twice
                }
            });
            if (input instanceof KvInput.Get g) {
                CompletableFuture<Long> f = raft.readIndex(groupId, readMode);
                f.whenComplete((index, err) -> {
                    // Read right when the index is applied here, as the server's read path does.
                    Optional<String> value = err == null ? s.machine(groupId).get(g.key()) : Optional.empty();
                    world.queue.after(latency, "client answer", 0, () -> answered(serverId, err,
                            value.map(v -> (KvOutput) KvOutput.read(v)).orElse(KvOutput.absent())));
                });
            } else {
                byte[] command = input instanceof KvInput.Put p ? SimKvMachine.put(p.key(), p.value())
                        : SimKvMachine.delete(((KvInput.Delete) input).key());
                raft.propose(groupId, command).whenComplete((r, err) -> world.queue.after(latency, "client answer", 0,
                        () -> answered(serverId, err, KvOutput.ack())));
            }
        }

        private void answered(long serverId, Throwable err, KvOutput out) {
            if (finished) {
                return;
            }
            if (err == null) {
                if (!(input instanceof KvInput.Get)) {
                    world.noteLeader(groupId, serverId); // reads may be answered by followers
                }
                finish(out);
                return;
            }
            Throwable cause = err instanceof CompletionException ? err.getCause() : err;
            if (!(cause instanceof RaftRequestException e)) {
                world.log.violation("a request failed with " + cause);
                finish(null);
                return;
            }
            List<Long> replicas = world.replicas(groupId);
            long other = replicas.get(world.random.nextInt(replicas.size()));
            switch (e.kind()) {
                case NOT_LEADER -> retry(e.leaderHint() != 0 && replicas.contains(e.leaderHint()) ? e.leaderHint()
                        : other, e.leaderHint() != 0 ? 1_000_000 : 20_000_000);
                case SERVER_BUSY, NO_SUCH_GROUP, DROPPED -> retry(other, 20_000_000);
                // A read that failed changed nothing: try again.
                default -> {
                    if (input instanceof KvInput.Get) {
                        retry(other, 20_000_000);
                    } else {
                        finish(null);
                    }
                }
            }
        }
    }
}

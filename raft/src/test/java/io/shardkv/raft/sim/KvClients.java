package io.shardkv.raft.sim;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.ProposeResult;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.core.ReadState;
import io.shardkv.raft.linearizability.HistoryRecorder;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Clients of the simulated key-value store, recording a history for the linearizability checker.
 * Each client has at most one operation outstanding:
 * <ul>
 *   <li>Writes are proposed on the node the client believes leads, following NotLeader hints. A
 *       write is acknowledged when that node applies the client's entry at the index the proposal
 *       got. If the node applies a different entry there, the proposal was overwritten and never
 *       takes effect, so the client safely proposes again.</li>
 *   <li>Reads ask for a read index (SAFE, or LEASE when the seed allows it) on the leader or on a
 *       follower, and are answered from that node's state machine once it has applied the index.</li>
 *   <li>An operation not answered by its deadline, or whose node crashed, ends with an unknown
 *       outcome: it may or may not have taken effect.</li>
 * </ul>
 * History times come from a counter bumped at every invocation and response, so the checker sees
 * the exact real-time order.
 */
final class KvClients implements SimCluster.Listener {

    private enum Phase { IDLE, WRITE, READ }

    private static final class Client {
        final long id;
        Phase phase = Phase.IDLE;
        /** History id of the current operation, or -1. */
        long opId = -1;
        KvInput input;
        long target;
        /** The proposal or read in flight: node, log index or read request, command id. */
        boolean waiting;
        long node;
        long index;
        long commandId;
        long requestId;
        Runnable onDone;
        /** Output of the last finished operation; null when its outcome was unknown. */
        KvOutput lastOutput;
        boolean safeOnly;

        Client(long id, long target) {
            this.id = id;
            this.target = target;
        }
    }

    private static final long TICK = SimCluster.TICK;

    private final SimCluster cluster;
    private final SimEventQueue queue;
    private final SplittableRandom random;
    private final SimProfile profile;
    private final HistoryRecorder<KvInput, KvOutput> history = new HistoryRecorder<>();
    private final List<Client> clients = new ArrayList<>();
    private final long deadlineUnits;
    private long clock;
    private long nextCommandId = 1;
    private long nextRequestId = 1;
    private long nextValue = 1;
    private boolean accepting = true;
    /** Highest log index of an acknowledged write: every member must apply it in the end. */
    private long maxAckedIndex;
    private long acked;
    private long reads;
    private long unknown;
    private long retries;

    KvClients(SimCluster cluster, SplittableRandom random) {
        this.cluster = cluster;
        this.queue = cluster.queue;
        this.random = random;
        this.profile = cluster.profile;
        this.deadlineUnits = 3L * profile.electionUnits();
    }

    /** Starts the workload's clients. */
    void start() {
        List<Long> ids = cluster.nodeIds();
        for (int i = 0; i < profile.clients(); i++) {
            Client c = new Client(i + 1, ids.get(random.nextInt(ids.size())));
            clients.add(c);
            think(c);
        }
    }

    /** Stops starting new operations; those in flight still finish or time out. */
    void stopNewOperations() {
        accepting = false;
    }

    boolean allIdle() {
        for (Client c : clients) {
            if (c.phase != Phase.IDLE) {
                return false;
            }
        }
        return true;
    }

    /** The outcome of a liveness probe: a fresh write, then a read of it. */
    static final class Probe {
        final String key;
        final String value;
        boolean writeAcked;
        boolean readDone;
        Optional<String> read = Optional.empty();
        boolean failed;

        Probe(String key, String value) {
            this.key = key;
            this.value = value;
        }

        boolean succeeded() {
            return writeAcked && readDone && read.equals(Optional.of(value));
        }

        @Override
        public String toString() {
            return "put(" + key + ", " + value + ") " + (writeAcked ? "acked" : "not acked") + ", get "
                    + (readDone ? "-> " + read.orElse("<absent>") : "not answered") + (failed ? ", failed" : "");
        }
    }

    /**
     * Writes a fresh value to {@code key} through the leader, then reads it back with a SAFE read,
     * using two new clients; the returned probe fills in as they finish.
     */
    Probe probe(String key) {
        Probe p = new Probe(key, "probe-" + nextValue++);
        long leader = cluster.leader();
        Client writer = new Client(clients.size() + 1, leader != RawNode.NONE ? leader : cluster.nodeIds().get(0));
        clients.add(writer);
        writer.onDone = () -> {
            p.writeAcked = writer.lastOutput != null;
            if (!p.writeAcked) {
                p.failed = true;
                return;
            }
            Client reader = new Client(clients.size() + 1, writer.node);
            reader.safeOnly = true;
            clients.add(reader);
            reader.onDone = () -> {
                p.readDone = reader.lastOutput != null;
                p.failed = !p.readDone;
                if (reader.lastOutput instanceof KvOutput.Read r) {
                    p.read = r.value();
                }
            };
            begin(reader, KvInput.get(key), false);
        };
        begin(writer, KvInput.put(key, p.value), false);
        return p;
    }

    private void think(Client c) {
        if (!accepting) {
            return;
        }
        // Now and then a client goes quiet for a few election timeouts, so idle groups quiesce.
        long pause = random.nextDouble() < profile.clientPauseProbability()
                ? random.nextLong(6 * profile.electionUnits()) : 0;
        queue.after(1 + pause + random.nextLong(3 * TICK), "client", c.id, () -> {
            if (accepting && c.phase == Phase.IDLE) {
                begin(c, randomInput(), random.nextDouble() < profile.followerReadProbability());
            }
        });
    }

    private KvInput randomInput() {
        String key = "k" + random.nextInt(profile.keys());
        int dice = random.nextInt(100);
        if (dice < 40) {
            return KvInput.put(key, "v" + nextValue++);
        } else if (dice < 50) {
            return KvInput.delete(key);
        }
        return KvInput.get(key);
    }

    private void begin(Client c, KvInput input, boolean anyNode) {
        c.input = input;
        c.phase = input instanceof KvInput.Get ? Phase.READ : Phase.WRITE;
        c.opId = history.invoke(c.id, input, ++clock);
        c.waiting = false;
        if (anyNode) {
            List<Long> ids = cluster.nodeIds();
            c.target = ids.get(random.nextInt(ids.size()));
        }
        long op = c.opId;
        queue.after(deadlineUnits, "deadline", c.id, () -> {
            if (c.opId == op) {
                finishUnknown(c, "deadline");
            }
        });
        cluster.trace.note(queue.now(), "invoke", c.id, input + " at n" + c.target);
        attempt(c);
    }

    /** Sends the current operation to the client's target node. */
    private void attempt(Client c) {
        SimNode<KvStateMachine> node = cluster.node(c.target);
        if (node == null || !node.isUp()) {
            redirect(c, RawNode.NONE);
            return;
        }
        ProposeResult result;
        if (c.phase == Phase.WRITE) {
            c.commandId = nextCommandId++;
            KvCommand command = c.input instanceof KvInput.Put put
                    ? KvCommand.put(c.id, c.commandId, put.key(), put.value())
                    : KvCommand.delete(c.id, c.commandId, c.input.key());
            result = node.raw().propose(command.encode());
        } else {
            c.requestId = nextRequestId++;
            ReadMode mode = profile.leaseReads() && !c.safeOnly && random.nextBoolean() ? ReadMode.LEASE : ReadMode.SAFE;
            result = node.raw().readIndex(c.requestId, mode);
        }
        if (result instanceof ProposeResult.Accepted accepted) {
            c.waiting = true;
            c.node = c.target;
            c.index = accepted.index();
        } else {
            redirect(c, ((ProposeResult.Dropped) result).leaderHint());
        }
    }

    /** Tries again a little later, at the hinted leader or at some other node. */
    private void redirect(Client c, long hint) {
        retries++;
        if (hint != RawNode.NONE && cluster.isUp(hint)) {
            c.target = hint;
        } else {
            List<Long> ids = cluster.nodeIds();
            c.target = ids.get(random.nextInt(ids.size()));
        }
        long op = c.opId;
        queue.after(TICK, "client-retry", c.id, () -> {
            if (c.opId == op && !c.waiting) {
                attempt(c);
            }
        });
    }

    @Override
    public void onApplied(SimNode<KvStateMachine> node, Entry entry) {
        for (Client c : clients) {
            if (c.phase != Phase.WRITE || !c.waiting || c.node != node.id() || c.index != entry.index()) {
                continue;
            }
            if (entry.type() == EntryType.NORMAL && KvCommand.decode(entry.data()).commandId() == c.commandId) {
                maxAckedIndex = Math.max(maxAckedIndex, entry.index());
                acked++;
                finish(c, KvOutput.ack());
            } else {
                // Another entry took our index: our proposal is gone for good, so retry it.
                c.waiting = false;
                cluster.trace.note(queue.now(), "overwritten", c.id, "index " + entry.index());
                redirect(c, node.knownLeader());
            }
        }
    }

    @Override
    public void onReadReady(SimNode<KvStateMachine> node, ReadState readState) {
        for (Client c : clients) {
            if (c.phase == Phase.READ && c.waiting && c.node == node.id() && c.requestId == readState.requestId()) {
                Optional<String> value = node.stateMachine().get(c.input.key());
                reads++;
                finish(c, value.map(KvOutput::read).orElseGet(KvOutput::absent));
            }
        }
    }

    @Override
    public void onNodeDown(long id) {
        for (Client c : clients) {
            if (c.phase != Phase.IDLE && c.waiting && c.node == id) {
                // The connection broke: the client cannot know whether the write happened.
                finishUnknown(c, "node down");
            }
        }
    }

    private void finish(Client c, KvOutput output) {
        history.complete(c.opId, output, ++clock);
        c.lastOutput = output;
        cluster.trace.note(queue.now(), "complete", c.id, c.input + " -> " + output + " at n" + c.node);
        done(c);
    }

    private void finishUnknown(Client c, String why) {
        // A client that got no answer tries another server next time, as real clients do; else
        // every client would queue up behind a leader that was cut off but still accepts writes.
        List<Long> ids = cluster.nodeIds();
        c.target = ids.get(random.nextInt(ids.size()));
        history.completeUnknown(c.opId);
        c.lastOutput = null;
        unknown++;
        cluster.trace.note(queue.now(), "unknown", c.id, c.input + " (" + why + ")");
        done(c);
    }

    private void done(Client c) {
        c.phase = Phase.IDLE;
        c.opId = -1;
        c.waiting = false;
        if (c.onDone != null) {
            Runnable r = c.onDone;
            c.onDone = null;
            queue.after(1, "client", c.id, r);
        } else {
            think(c);
        }
    }

    List<Operation<KvInput, KvOutput>> history() {
        return history.history();
    }

    long maxAckedIndex() {
        return maxAckedIndex;
    }

    long ackedWrites() {
        return acked;
    }

    long answeredReads() {
        return reads;
    }

    long unknownOps() {
        return unknown;
    }

    long operations() {
        return history.size();
    }

    String stats() {
        return history.size() + " ops (" + acked + " writes acked, " + reads + " reads, " + unknown + " unknown, "
                + retries + " retries)";
    }
}

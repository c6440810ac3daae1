package io.shardkv.chaos;

import io.shardkv.client.KvClient;
import io.shardkv.common.Slots;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.raft.linearizability.HistoryRecorder;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The clients. Each client thread has its own {@link KvClient} and works on one of the checked keys
 * (client i on key i mod K, so every key has the same number of clients and a client stuck on one
 * group never starves another key): half gets (a third of them LEASE reads), 40 % puts of a value
 * unique in the run, 10 % deletes, at a fixed pace. Every operation goes into the history with its
 * call and return times on the run's clock; one that fails is of unknown outcome, since a write may
 * still take effect later.
 *
 * <p>Beside them, write-once writers put keys that are never written again ({@code once/W/N}); every
 * acknowledged one must read back with its value after the run, else it is a lost write.
 */
final class Workload {
    /** Bounds each client loop besides its deadline. */
    private static final long MAX_OPS_PER_CLIENT = 2_000_000;
    static final int ONCE_WRITERS = 2;
    /** Client id of the final reads in the history. */
    static final long FINAL_READER = 999_999;
    /** Write-once read-backs in flight at once. */
    private static final int READ_BACK_IN_FLIGHT = 32;

    private final List<String> keys;
    private final EventLog log;
    private final HistoryRecorder<KvInput, KvOutput> history = new HistoryRecorder<>();
    private final HistoryRecorder<KvInput, KvOutput> onceHistory = new HistoryRecorder<>();
    /** Operation ids (in {@link #history}) of the gets that asked for a LEASE read, for the history file. */
    private final Set<Long> leaseReads = ConcurrentHashMap.newKeySet();
    /** Why operations of unknown outcome failed, by id in {@link #history}, for the history file. */
    private final Map<Long, String> failures = new ConcurrentHashMap<>();
    /** Per key, the latest call time of a write that was acknowledged. */
    private final Map<String, AtomicLong> lastAckedWriteCall = new LinkedHashMap<>();
    /** Write-once keys acknowledged, with their values. */
    private final Map<String, String> onceAcked = new ConcurrentHashMap<>();
    /** Slots that hold acknowledged write-once keys: what a slot move may take along. */
    private final Set<Integer> onceSlots = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<KvClient> clients = new ArrayList<>();

    Workload(List<String> keys, EventLog log) {
        this.keys = List.copyOf(keys);
        this.log = log;
        for (String k : keys) {
            lastAckedWriteCall.put(k, new AtomicLong(-1));
        }
    }

    List<String> keys() {
        return keys;
    }

    /**
     * Starts {@code count} clients and the write-once writers, each doing {@code opsPerSecond} at
     * most, until {@link #stop} or {@code deadlineMicros} on the run's clock.
     */
    void start(Supplier<KvClient> newClient, int count, int opsPerSecond, long seed, long deadlineMicros) {
        long intervalMicros = 1_000_000L / opsPerSecond;
        for (int c = 0; c < count; c++) {
            KvClient client = newClient.get();
            synchronized (clients) {
                clients.add(client);
            }
            String key = keys.get(c % keys.size());
            Random random = new Random(seed * 1_000_003L + c);
            long clientId = c;
            threads.add(new Thread(() -> runClient(client, clientId, key, random, intervalMicros, deadlineMicros),
                    "chaos-client-" + c));
        }
        for (int w = 0; w < ONCE_WRITERS; w++) {
            KvClient client = newClient.get();
            synchronized (clients) {
                clients.add(client);
            }
            long writer = w;
            threads.add(new Thread(() -> runOnceWriter(client, writer, intervalMicros, deadlineMicros),
                    "chaos-once-writer-" + w));
        }
        threads.forEach(Thread::start);
    }

    private void runClient(KvClient client, long clientId, String key, Random random, long intervalMicros,
                           long deadlineMicros) {
        long next = log.nowMicros();
        for (long n = 0; n < MAX_OPS_PER_CLIENT && !stop.get() && log.nowMicros() < deadlineMicros; n++) {
            int choice = random.nextInt(10);
            KvInput input = choice < 5 ? KvInput.get(key)
                    : choice < 9 ? KvInput.put(key, "v" + clientId + "." + n) : KvInput.delete(key);
            boolean lease = input instanceof KvInput.Get && random.nextInt(3) == 0;
            long called = log.nowMicros();
            long op = history.invoke(clientId, input, called);
            if (lease) {
                leaseReads.add(op);
            }
            try {
                KvOutput out;
                if (input instanceof KvInput.Get) {
                    Optional<byte[]> v = client.get(utf8(key),
                            lease ? ReadConsistency.LEASE : ReadConsistency.LINEARIZABLE);
                    out = v.map(b -> (KvOutput) KvOutput.read(new String(b, StandardCharsets.UTF_8)))
                            .orElse(KvOutput.absent());
                } else if (input instanceof KvInput.Put p) {
                    client.put(utf8(key), utf8(p.value()));
                    out = KvOutput.ack();
                } else {
                    client.delete(utf8(key));
                    out = KvOutput.ack();
                }
                history.complete(op, out, log.nowMicros());
                if (!(input instanceof KvInput.Get)) {
                    lastAckedWriteCall.get(key).accumulateAndGet(called, Math::max);
                }
            } catch (RuntimeException e) {
                history.completeUnknown(op);
                failures.put(op, describe(e));
            }
            next = pace(next, intervalMicros);
        }
    }

    /** The exception's class and message in one line of bounded length. */
    private static String describe(RuntimeException e) {
        String text = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** Why operation {@code op} of {@link #history} failed, if it did. */
    Optional<String> failure(long op) {
        return Optional.ofNullable(failures.get(op));
    }

    private void runOnceWriter(KvClient client, long writer, long intervalMicros, long deadlineMicros) {
        long next = log.nowMicros();
        for (long n = 0; n < MAX_OPS_PER_CLIENT && !stop.get() && log.nowMicros() < deadlineMicros; n++) {
            String key = "once/" + writer + "/" + n;
            String value = "o" + writer + "." + n;
            long op = onceHistory.invoke(writer, KvInput.put(key, value), log.nowMicros());
            try {
                client.put(utf8(key), utf8(value));
                onceHistory.complete(op, KvOutput.ack(), log.nowMicros());
                onceAcked.put(key, value);
                onceSlots.add(Slots.of(utf8(key)));
            } catch (RuntimeException e) {
                onceHistory.completeUnknown(op);
            }
            next = pace(next, intervalMicros);
        }
    }

    /** Waits for the next start time of a paced loop; one that fell behind starts at once. */
    private long pace(long previous, long intervalMicros) {
        long next = previous + intervalMicros;
        long now = log.nowMicros();
        if (next <= now) {
            return now;
        }
        // Pacing the load generator, not waiting for a condition.
        LockSupport.parkNanos((next - now) * 1_000);
        return next;
    }

    /** True when every key had a write called at or after {@code sinceMicros} acknowledged. */
    boolean allWrittenSince(long sinceMicros) {
        return lastAckedWriteCall.values().stream().allMatch(t -> t.get() >= sinceMicros);
    }

    /** Keys that had no acknowledged write called at or after {@code sinceMicros}. */
    List<String> notWrittenSince(long sinceMicros) {
        List<String> missing = new ArrayList<>();
        lastAckedWriteCall.forEach((k, t) -> {
            if (t.get() < sinceMicros) {
                missing.add(k);
            }
        });
        return missing;
    }

    /**
     * Up to {@code count} slots of acknowledged write-once keys, drawn with exactly {@code count}
     * calls to {@code random} whatever their number, so that how many keys were written by then
     * does not change the draws that follow.
     */
    List<Integer> someOnceSlots(Random random, int count) {
        List<Integer> all = new ArrayList<>(onceSlots);
        Collections.sort(all);
        List<Integer> picked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int r = random.nextInt(Integer.MAX_VALUE);
            if (!all.isEmpty()) {
                picked.add(all.get(r % all.size()));
            }
        }
        return picked;
    }

    /**
     * Stops the clients at once: closing a client fails its requests in flight, and a closed one
     * sends nothing more. For a run cut short; {@link #stop} lets the last operations end.
     */
    void abort() {
        stop.set(true);
        synchronized (clients) {
            clients.forEach(KvClient::close);
            clients.clear();
        }
    }

    /** Stops the clients, waiting for their last operations (each ends within its request deadline). */
    void stop() {
        stop.set(true);
        for (Thread t : threads) {
            try {
                t.join(2 * ChaosSettings.REQUEST_DEADLINE.toMillis() + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (clients) {
            clients.forEach(KvClient::close);
            clients.clear();
        }
    }

    /**
     * Reads every checked key once more after the heal, recorded in the history like any other get
     * (a read that fails is retried until {@code deadlineMicros}). Returns the keys never read.
     */
    List<String> finalReads(KvClient client, long deadlineMicros) {
        List<String> unread = new ArrayList<>();
        for (String key : keys) {
            boolean read = false;
            while (!read && log.nowMicros() < deadlineMicros) {
                long op = history.invoke(FINAL_READER, KvInput.get(key), log.nowMicros());
                try {
                    Optional<byte[]> v = client.get(utf8(key));
                    history.complete(op, v.map(b -> (KvOutput) KvOutput.read(new String(b, StandardCharsets.UTF_8)))
                            .orElse(KvOutput.absent()), log.nowMicros());
                    read = true;
                } catch (RuntimeException e) {
                    history.completeUnknown(op);
                    failures.put(op, describe(e));
                }
            }
            if (!read) {
                unread.add(key);
            }
        }
        return unread;
    }

    /** What the write-once check found. */
    record OnceCheck(int acknowledged, List<String> lost, List<String> unreadable) {
    }

    /**
     * Reads back every acknowledged write-once key (recorded in the write-once history), at most
     * {@link #READ_BACK_IN_FLIGHT} at a time. Lost: read as absent or with another value.
     * Unreadable: no read succeeded in three rounds or before {@code deadlineMicros}.
     */
    OnceCheck checkOnceWrites(KvClient client, long deadlineMicros) {
        Map<String, String> acked = new TreeMap<>(onceAcked);
        Map<String, Optional<String>> read = new ConcurrentHashMap<>();
        List<String> toRead = new ArrayList<>(acked.keySet());
        for (int round = 0; round < 3 && !toRead.isEmpty() && log.nowMicros() < deadlineMicros; round++) {
            Semaphore inFlight = new Semaphore(READ_BACK_IN_FLIGHT);
            for (String key : toRead) {
                if (log.nowMicros() >= deadlineMicros) {
                    break;
                }
                inFlight.acquireUninterruptibly();
                long op = onceHistory.invoke(FINAL_READER, KvInput.get(key), log.nowMicros());
                client.getAsync(utf8(key)).whenComplete((v, error) -> {
                    if (error == null) {
                        Optional<String> value = v.map(b -> new String(b, StandardCharsets.UTF_8));
                        onceHistory.complete(op, value.map(s -> (KvOutput) KvOutput.read(s)).orElse(KvOutput.absent()),
                                log.nowMicros());
                        read.put(key, value);
                    } else {
                        onceHistory.completeUnknown(op);
                    }
                    inFlight.release();
                });
            }
            inFlight.acquireUninterruptibly(READ_BACK_IN_FLIGHT);
            toRead = toRead.stream().filter(k -> !read.containsKey(k)).toList();
        }
        List<String> lost = new ArrayList<>();
        acked.forEach((key, value) -> {
            Optional<String> v = read.get(key);
            if (v != null && !v.equals(Optional.of(value))) {
                lost.add(key + " = " + value + " acknowledged, read back " + v.orElse("<absent>"));
            }
        });
        return new OnceCheck(acked.size(), lost, List.copyOf(toRead));
    }

    HistoryRecorder<KvInput, KvOutput> history() {
        return history;
    }

    HistoryRecorder<KvInput, KvOutput> onceHistory() {
        return onceHistory;
    }

    boolean isLeaseRead(long op) {
        return leaseReads.contains(op);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

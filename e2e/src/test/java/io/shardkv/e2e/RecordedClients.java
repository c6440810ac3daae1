package io.shardkv.e2e;

import static io.shardkv.e2e.Bytes.utf8;

import io.shardkv.client.KvClient;
import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.HistoryRecorder;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvModel;
import io.shardkv.raft.linearizability.KvOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Client threads that get, put (unique values) and delete a few keys until closed, recording
 * every operation with its invocation and completion times for the linearizability checker. An
 * operation that fails is recorded as of unknown outcome: a write may still take effect later.
 */
final class RecordedClients implements AutoCloseable {
    private final HistoryRecorder<KvInput, KvOutput> history = new HistoryRecorder<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<KvClient> clients = new ArrayList<>();

    /** Starts {@code count} clients (seeds {@code seed}, {@code seed + 1}, ...): half gets, 40 % puts, 10 % deletes. */
    RecordedClients(Supplier<KvClient> newClient, List<String> keys, int count, long seed) {
        AtomicLong values = new AtomicLong();
        long origin = System.nanoTime();
        for (int w = 0; w < count; w++) {
            KvClient c = newClient.get();
            clients.add(c);
            long clientId = w;
            Random random = new Random(seed + w);
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    String key = keys.get(random.nextInt(keys.size()));
                    int choice = random.nextInt(10);
                    KvInput input = choice < 5 ? KvInput.get(key)
                            : choice < 9 ? KvInput.put(key, "v" + values.incrementAndGet()) : KvInput.delete(key);
                    long op = history.invoke(clientId, input, System.nanoTime() - origin);
                    try {
                        KvOutput out;
                        if (input instanceof KvInput.Get) {
                            Optional<byte[]> v = c.get(utf8(key));
                            out = v.map(b -> (KvOutput) KvOutput.read(Bytes.string(b))).orElse(KvOutput.absent());
                        } else if (input instanceof KvInput.Put p) {
                            c.put(utf8(key), utf8(p.value()));
                            out = KvOutput.ack();
                        } else {
                            c.delete(utf8(key));
                            out = KvOutput.ack();
                        }
                        history.complete(op, out, System.nanoTime() - origin);
                    } catch (RuntimeException e) {
                        history.completeUnknown(op);
                    }
                }
            }, "recorded-client-" + w);
            threads.add(t);
            t.start();
        }
    }

    /** Operations recorded so far. */
    int size() {
        return history.size();
    }

    /** Stops the clients (waiting for their last operations) and checks the history. */
    CheckReport<KvInput, KvOutput> stopAndCheck() throws InterruptedException {
        close();
        return KvModel.checker().check(history.history());
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        clients.forEach(KvClient::close);
        clients.clear();
    }
}

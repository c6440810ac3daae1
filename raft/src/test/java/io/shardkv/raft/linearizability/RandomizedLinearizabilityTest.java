package io.shardkv.raft.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories produced by a real sequential execution, stretched into random overlapping intervals
 * around each operation's linearization point. Such a history is linearizable by construction, so
 * any other verdict is a checker bug; corrupting one read must then make it illegal.
 */
class RandomizedLinearizabilityTest {

    private static final int SEEDS = 300;
    private static final int OPS = 60;
    private static final int MAX_STRETCH = 10;

    @Test
    void generatedHistoriesAreLinearizable() {
        for (long seed = 0; seed < SEEDS; seed++) {
            List<Operation<KvInput, KvOutput>> history = generate(new Random(seed));

            CheckReport<KvInput, KvOutput> report = KvOps.check(history);

            assertThat(report.result()).as("seed %d: %s", seed, report.explain()).isEqualTo(CheckResult.OK);
        }
    }

    @Test
    void readOfUnwrittenValueMakesGeneratedHistoryIllegal() {
        for (long seed = 0; seed < SEEDS; seed++) {
            Random random = new Random(seed);
            List<Operation<KvInput, KvOutput>> history = new ArrayList<>(generate(random));
            List<Integer> knownGets = new ArrayList<>();
            for (int i = 0; i < history.size(); i++) {
                if (history.get(i).input() instanceof KvInput.Get && !history.get(i).isUnknown()) {
                    knownGets.add(i);
                }
            }
            assertThat(knownGets).as("seed %d generated no reads", seed).isNotEmpty();
            int victim = knownGets.get(random.nextInt(knownGets.size()));
            Operation<KvInput, KvOutput> original = history.get(victim);
            history.set(victim, Operation.completed(original.clientId(), original.input(),
                    KvOutput.read("never-written"), original.callTime(), original.returnTime()));

            CheckReport<KvInput, KvOutput> report = KvOps.check(history);

            assertThat(report.result()).as("seed %d: %s", seed, report.explain()).isEqualTo(CheckResult.ILLEGAL);
            assertThat(report.violation().orElseThrow().partition())
                    .isEqualTo("key \"" + original.input().key() + "\"");
        }
    }

    /**
     * Executes random operations one at a time against a map; operation i takes effect at a
     * strictly increasing instant, and its interval is stretched randomly around that instant, so
     * the execution order is a valid linearization. Some writes time out: those either took effect
     * or not, and some reads time out too.
     */
    private static List<Operation<KvInput, KvOutput>> generate(Random random) {
        int keys = 1 + random.nextInt(3);
        Map<String, String> store = new HashMap<>();
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        long instant = 0;
        for (int i = 0; i < OPS; i++) {
            instant += 1 + random.nextInt(4);
            long call = Math.max(0, instant - random.nextInt(MAX_STRETCH));
            long ret = instant + random.nextInt(MAX_STRETCH);
            String key = "k" + random.nextInt(keys);
            long client = random.nextInt(8);
            int kind = random.nextInt(10);
            boolean timedOut = random.nextInt(10) == 0;
            if (kind < 5) {
                String current = store.get(key);
                KvOutput.Read read = current == null ? KvOutput.absent() : KvOutput.read(current);
                history.add(timedOut
                        ? Operation.unknown(client, KvInput.get(key), call)
                        : Operation.completed(client, KvInput.get(key), read, call, ret));
                continue;
            }
            KvInput write = kind < 9 ? KvInput.put(key, "v" + i) : KvInput.delete(key);
            // A timed-out write that "never happened" is simply not applied to the store.
            boolean applied = !timedOut || random.nextBoolean();
            if (applied) {
                if (write instanceof KvInput.Put put) {
                    store.put(key, put.value());
                } else {
                    store.remove(key);
                }
            }
            history.add(timedOut
                    ? Operation.unknown(client, write, call)
                    : Operation.completed(client, write, KvOutput.ack(), call, ret));
        }
        return history;
    }
}

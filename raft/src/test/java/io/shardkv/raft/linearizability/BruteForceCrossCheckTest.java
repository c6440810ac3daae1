package io.shardkv.raft.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compares the checker with a brute-force oracle on many tiny random single-key histories, most of
 * them not linearizable. The oracle tries every subset of the unknown operations (those left out
 * never took effect) and every order of the chosen operations.
 */
class BruteForceCrossCheckTest {

    private static final String[] VALUES = {"a", "b"};

    @Test
    void agreesWithExhaustiveEnumeration() {
        int illegal = 0;
        for (long seed = 0; seed < 3_000; seed++) {
            List<Operation<KvInput, KvOutput>> history = randomHistory(new Random(seed));
            boolean expected = bruteForceLinearizable(history);

            CheckReport<KvInput, KvOutput> report = KvOps.check(history);

            assertThat(report.result()).as("seed %d, history %s", seed, history)
                    .isEqualTo(expected ? CheckResult.OK : CheckResult.ILLEGAL);
            illegal += expected ? 0 : 1;
        }
        // Guards against a generator that only ever produces one kind of history.
        assertThat(illegal).isBetween(300, 2_700);
    }

    /**
     * Histories shaped like the simulation's (every put writes its own value, many outcomes
     * unknown), where all of the reductions apply: checked with and without them.
     */
    @Test
    void reductionsAgreeWithExhaustiveEnumerationOnUniqueValues() {
        int illegal = 0;
        int unknownWrites = 0;
        for (long seed = 0; seed < 3_000; seed++) {
            List<Operation<KvInput, KvOutput>> history = uniqueValueHistory(new Random(seed));
            boolean expected = bruteForceLinearizable(history);
            CheckResult verdict = expected ? CheckResult.OK : CheckResult.ILLEGAL;

            assertThat(KvOps.check(history).result()).as("seed %d, history %s", seed, history).isEqualTo(verdict);
            assertThat(KvModel.checker().withoutReductions().check(history).result())
                    .as("plain search, seed %d", seed).isEqualTo(verdict);
            illegal += expected ? 0 : 1;
            unknownWrites += (int) history.stream()
                    .filter(op -> op.isUnknown() && !(op.input() instanceof KvInput.Get)).count();
        }
        assertThat(illegal).isBetween(300, 2_700);
        assertThat(unknownWrites).as("unknown writes generated").isGreaterThan(1_500);
    }

    private static List<Operation<KvInput, KvOutput>> uniqueValueHistory(Random random) {
        int size = 2 + random.nextInt(6);
        List<Operation<KvInput, KvOutput>> ops = new ArrayList<>();
        List<String> written = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            long call = random.nextInt(12);
            long ret = call + random.nextInt(6);
            int kind = random.nextInt(10);
            KvInput input;
            KvOutput output;
            if (kind < 4) {
                String value = "v" + i;
                written.add(value);
                input = KvInput.put("k", value);
                output = KvOutput.ack();
            } else if (kind < 5) {
                input = KvInput.delete("k");
                output = KvOutput.ack();
            } else {
                input = KvInput.get("k");
                // Mostly values some put writes, sometimes a value nobody writes, sometimes absent.
                int pick = random.nextInt(8);
                output = pick == 0 ? KvOutput.absent()
                        : pick == 1 || written.isEmpty() ? KvOutput.read("v" + (size + random.nextInt(3)))
                        : KvOutput.read(written.get(random.nextInt(written.size())));
            }
            boolean unknown = !(input instanceof KvInput.Get) && random.nextInt(3) == 0;
            ops.add(unknown ? Operation.unknown(i, input, call) : Operation.completed(i, input, output, call, ret));
        }
        return ops;
    }

    private static List<Operation<KvInput, KvOutput>> randomHistory(Random random) {
        int size = 1 + random.nextInt(6);
        List<Operation<KvInput, KvOutput>> ops = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            long call = random.nextInt(10);
            long ret = call + random.nextInt(6);
            long client = i;
            String value = VALUES[random.nextInt(VALUES.length)];
            int kind = random.nextInt(10);
            KvInput input = kind < 4 ? KvInput.put("k", value) : kind < 5 ? KvInput.delete("k") : KvInput.get("k");
            KvOutput output = !(input instanceof KvInput.Get) ? KvOutput.ack()
                    : random.nextInt(4) == 0 ? KvOutput.absent() : KvOutput.read(value);
            ops.add(random.nextInt(6) == 0
                    ? Operation.unknown(client, input, call)
                    : Operation.completed(client, input, output, call, ret));
        }
        return ops;
    }

    private static boolean bruteForceLinearizable(List<Operation<KvInput, KvOutput>> ops) {
        return search(ops, new boolean[ops.size()], KvModel.INSTANCE.init());
    }

    /** Extends a sequence (marked in {@code placed}) by every operation that may come next. */
    private static boolean search(List<Operation<KvInput, KvOutput>> ops, boolean[] placed, Optional<String> state) {
        boolean knownLeft = false;
        for (int i = 0; i < ops.size(); i++) {
            knownLeft |= !placed[i] && !ops.get(i).isUnknown();
        }
        if (!knownLeft) {
            return true; // remaining unknown operations never took effect
        }
        for (int i = 0; i < ops.size(); i++) {
            if (placed[i] || !mayGoNext(ops, placed, i)) {
                continue;
            }
            for (Optional<String> next : KvModel.INSTANCE.step(state, ops.get(i).input(), ops.get(i).knownOutput())) {
                placed[i] = true;
                boolean found = search(ops, placed, next);
                placed[i] = false;
                if (found) {
                    return true;
                }
            }
        }
        return false;
    }

    /** No unplaced operation may have returned strictly before candidate {@code i} was called. */
    private static boolean mayGoNext(List<Operation<KvInput, KvOutput>> ops, boolean[] placed, int i) {
        for (int j = 0; j < ops.size(); j++) {
            if (j != i && !placed[j] && ops.get(j).returnTime() < ops.get(i).callTime()) {
                return false;
            }
        }
        return true;
    }
}

package io.shardkv.raft.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Checker behaviour that does not depend on the key-value model. */
class ModelSemanticsTest {

    /**
     * A coin: "toss" lands on 0 or 1 nondeterministically, "read" returns the face showing.
     * The initial face is 0.
     */
    static final class CoinModel implements Model<Integer, String, Integer> {
        @Override
        public Integer init() {
            return 0;
        }

        @Override
        public Set<Integer> step(Integer face, String input, Optional<Integer> output) {
            if (input.equals("toss")) {
                return Set.of(0, 1);
            }
            return output.isEmpty() || output.get().equals(face) ? Set.of(face) : Set.of();
        }
    }

    private static Operation<String, Integer> toss(long call, long ret) {
        return Operation.completed(1, "toss", 0, call, ret);
    }

    private static Operation<String, Integer> read(int face, long call, long ret) {
        return Operation.completed(2, "read", face, call, ret);
    }

    @Nested
    class NondeterministicModel {

        private final LinearizabilityChecker<Integer, String, Integer> checker =
                new LinearizabilityChecker<>(new CoinModel());

        @Test
        void eitherOutcomeOfATossIsAccepted() {
            assertThat(checker.check(List.of(toss(0, 1), read(1, 2, 3), read(1, 4, 5))).result())
                    .isEqualTo(CheckResult.OK);
            assertThat(checker.check(List.of(toss(0, 1), read(0, 2, 3), read(0, 4, 5))).result())
                    .isEqualTo(CheckResult.OK);
        }

        @Test
        void oneTossCannotShowBothFaces() {
            CheckReport<String, Integer> report =
                    checker.check(List.of(toss(0, 1), read(0, 2, 3), read(1, 4, 5)));

            assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
            assertThat(report.explain()).contains("possible state(s) after it: {0}");
        }

        @Test
        void secondTossMayChangeTheFace() {
            assertThat(checker.check(List.of(toss(0, 1), read(0, 2, 3), toss(4, 5), read(1, 6, 7))).result())
                    .isEqualTo(CheckResult.OK);
        }
    }

    /**
     * A model where the input "impossible" is rejected from every state even when its output is
     * unknown, so "never took effect" is the only explanation for it.
     */
    static final class PickyModel implements Model<String, String, String> {
        @Override
        public String init() {
            return "s";
        }

        @Override
        public Set<String> step(String state, String input, Optional<String> output) {
            return input.equals("impossible") ? Set.of() : Set.of(state);
        }
    }

    @Nested
    class UnknownOutcomes {

        private final LinearizabilityChecker<String, String, String> checker =
                new LinearizabilityChecker<>(new PickyModel());

        @Test
        void unknownOperationMayNeverTakeEffect() {
            CheckReport<String, String> report = checker.check(List.of(
                    Operation.completed(1, "noop", "ok", 0, 1),
                    Operation.unknown(2, "impossible", 0),
                    Operation.completed(1, "noop", "ok", 2, 3)));

            assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.OK);
        }

        @Test
        void historyOfOnlyUnknownOperationsIsTriviallyLinearizable() {
            CheckReport<String, String> report = checker.check(List.of(Operation.unknown(2, "impossible", 0)));

            assertThat(report.result()).isEqualTo(CheckResult.OK);
            assertThat(report.steps()).isZero();
        }

        @Test
        void knownImpossibleOperationIsIllegal() {
            CheckReport<String, String> report = checker.check(List.of(
                    Operation.completed(1, "noop", "ok", 0, 1),
                    Operation.completed(2, "impossible", "ok", 2, 3)));

            assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
            assertThat(report.violation().orElseThrow().partition()).isEqualTo("entire history");
            assertThat(report.explain()).contains("op#1 client 2 [2, 3] impossible -> ok");
        }

        @Test
        void unknownOperationIsRenderedWithOpenInterval() {
            CheckReport<String, String> report = checker.check(List.of(
                    Operation.unknown(3, "noop", 0),
                    Operation.completed(2, "impossible", "ok", 2, 3)));

            assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
            assertThat(report.explain()).contains("client 3 [0, inf) noop -> ?");
        }
    }
}

package io.shardkv.raft.core.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MajorityConfigTest {

    private static Set<Long> ids(int n) {
        Set<Long> ids = new HashSet<>();
        for (long i = 1; i <= n; i++) {
            ids.add(i);
        }
        return ids;
    }

    /** Independent oracle: the largest k such that at least a majority of voters hold k. */
    private static long expectedCommitted(Map<Long, Long> acked, int n) {
        long best = 0;
        for (long candidate : acked.values()) {
            long holders = acked.values().stream().filter(v -> v >= candidate).count();
            if (holders >= n / 2 + 1) {
                best = Math.max(best, candidate);
            }
        }
        return best;
    }

    @Test
    void quorumIsSimpleMajority() {
        assertThat(MajorityConfig.quorum(1)).isEqualTo(1);
        assertThat(MajorityConfig.quorum(2)).isEqualTo(2);
        assertThat(MajorityConfig.quorum(3)).isEqualTo(2);
        assertThat(MajorityConfig.quorum(4)).isEqualTo(3);
        assertThat(MajorityConfig.quorum(5)).isEqualTo(3);
        assertThat(MajorityConfig.quorum(6)).isEqualTo(4);
        assertThat(MajorityConfig.quorum(7)).isEqualTo(4);
    }

    @Test
    void emptyConfigCommitsEverythingAndWinsEveryVote() {
        // The empty outgoing half of a non-joint config must not hold anything back.
        assertThat(MajorityConfig.EMPTY.committedIndex(id -> 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(MajorityConfig.EMPTY.voteResult(Map.of())).isEqualTo(VoteResult.WON);
        assertThat(MajorityConfig.EMPTY.voteResult(Map.of(1L, false))).isEqualTo(VoteResult.WON);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void committedIndexMatchesMajorityOracleOnRandomAcks(int n) {
        MajorityConfig config = new MajorityConfig(ids(n));
        SplittableRandom random = new SplittableRandom(n);
        for (int round = 0; round < 200; round++) {
            Map<Long, Long> acked = new HashMap<>();
            for (long id : ids(n)) {
                acked.put(id, (long) random.nextInt(6));
            }
            assertThat(config.committedIndex(acked::get))
                    .as("acks %s", acked)
                    .isEqualTo(expectedCommitted(acked, n));
        }
    }

    @Test
    void committedIndexOfConcreteCases() {
        // Three voters at 5, 3, 9: two of them hold 5.
        assertThat(new MajorityConfig(ids(3)).committedIndex(id -> new long[] {0, 5, 3, 9}[(int) id])).isEqualTo(5);
        // Four voters need three: 2, 8, 8, 4 -> 4.
        assertThat(new MajorityConfig(ids(4)).committedIndex(id -> new long[] {0, 2, 8, 8, 4}[(int) id])).isEqualTo(4);
        // A single voter commits what it holds.
        assertThat(new MajorityConfig(ids(1)).committedIndex(id -> 7)).isEqualTo(7);
        // Two voters need both: the minimum.
        assertThat(new MajorityConfig(ids(2)).committedIndex(id -> id == 1 ? 10 : 4)).isEqualTo(4);
    }

    @Test
    void unknownVotersCountAsHoldingNothing() {
        MajorityConfig config = new MajorityConfig(ids(3));
        // Only voter 1 is known: no majority holds anything.
        assertThat(config.committedIndex(id -> id == 1 ? 10 : -1)).isZero();
        // Voters 1 and 2 known: a majority holds the smaller of the two.
        assertThat(config.committedIndex(id -> id == 1 ? 10 : id == 2 ? 6 : -1)).isEqualTo(6);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
    void voteResultMatchesOracleForEveryCombination(int n) {
        MajorityConfig config = new MajorityConfig(ids(n));
        int combinations = (int) Math.pow(3, n);
        for (int c = 0; c < combinations; c++) {
            Map<Long, Boolean> votes = new HashMap<>();
            int granted = 0;
            int missing = 0;
            int code = c;
            for (long id = 1; id <= n; id++) {
                switch (code % 3) {
                    case 0 -> missing++;
                    case 1 -> {
                        votes.put(id, true);
                        granted++;
                    }
                    default -> votes.put(id, false);
                }
                code /= 3;
            }
            int q = n / 2 + 1;
            VoteResult expected = n == 0 || granted >= q ? VoteResult.WON
                    : granted + missing >= q ? VoteResult.PENDING : VoteResult.LOST;
            assertThat(config.voteResult(votes)).as("n=%d votes=%s", n, votes).isEqualTo(expected);
        }
    }

    @Test
    void votesOfNonVotersAreIgnored() {
        MajorityConfig config = new MajorityConfig(ids(3));
        Map<Long, Boolean> votes = Map.of(1L, true, 7L, true, 8L, true);
        assertThat(config.voteResult(votes)).isEqualTo(VoteResult.PENDING);
    }

    @Test
    void votersAreCopied() {
        Set<Long> mutable = new HashSet<>(ids(3));
        MajorityConfig config = new MajorityConfig(mutable);
        mutable.add(4L);
        assertThat(config.voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
    }
}

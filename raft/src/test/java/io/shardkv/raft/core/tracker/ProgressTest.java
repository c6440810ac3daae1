package io.shardkv.raft.core.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static Progress progress(long match, long next) {
        return new Progress(match, next, false, 3, 1_000);
    }

    @Test
    void startsProbingAndRejectsBadIndexes() {
        Progress pr = progress(0, 6);
        assertThat(pr.state()).isEqualTo(ProgressState.PROBE);
        assertThat(pr.isPaused()).isFalse();
        assertThatThrownBy(() -> progress(5, 5)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> progress(-1, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Nested
    class Transitions {
        @Test
        void probeToReplicateRestartsFromMatch() {
            Progress pr = progress(4, 9);
            pr.becomeReplicate();
            assertThat(pr.state()).isEqualTo(ProgressState.REPLICATE);
            assertThat(pr.next()).isEqualTo(5);
        }

        @Test
        void replicateToProbeClearsInflights() {
            Progress pr = progress(4, 5);
            pr.becomeReplicate();
            pr.sentEntries(2, 6, 10);
            assertThat(pr.inflights().count()).isEqualTo(1);
            pr.becomeProbe();
            assertThat(pr.state()).isEqualTo(ProgressState.PROBE);
            assertThat(pr.next()).isEqualTo(5);
            assertThat(pr.inflights().count()).isZero();
        }

        @Test
        void snapshotStateTracksPendingSnapshot() {
            Progress pr = progress(2, 3);
            pr.becomeSnapshot(20);
            assertThat(pr.state()).isEqualTo(ProgressState.SNAPSHOT);
            assertThat(pr.pendingSnapshot()).isEqualTo(20);
            assertThat(pr.next()).isEqualTo(21);
            assertThat(pr.isPaused()).isTrue();
        }

        @Test
        void probeAfterSnapshotStartsAfterTheSnapshot() {
            Progress pr = progress(2, 3);
            pr.becomeSnapshot(20);
            pr.becomeProbe();
            assertThat(pr.state()).isEqualTo(ProgressState.PROBE);
            assertThat(pr.next()).isEqualTo(21);
            assertThat(pr.pendingSnapshot()).isZero();
        }

        @Test
        void probeAfterSnapshotKeepsAHigherMatch() {
            Progress pr = progress(2, 3);
            pr.becomeSnapshot(20);
            pr.maybeUpdate(25);
            pr.becomeProbe();
            assertThat(pr.next()).isEqualTo(26);
        }

        @Test
        void snapshotFailedProbesFromMatch() {
            Progress pr = progress(2, 3);
            pr.becomeSnapshot(20);
            pr.snapshotFailed();
            assertThat(pr.state()).isEqualTo(ProgressState.PROBE);
            assertThat(pr.next()).isEqualTo(3);
            assertThat(pr.pendingSnapshot()).isZero();
            assertThat(pr.isPaused()).isFalse();
        }

        @Test
        void snapshotTicksResetOnTransition() {
            Progress pr = progress(2, 3);
            pr.becomeSnapshot(20);
            pr.tickSnapshot();
            assertThat(pr.tickSnapshot()).isEqualTo(2);
            pr.becomeProbe();
            pr.becomeSnapshot(30);
            assertThat(pr.tickSnapshot()).isEqualTo(1);
        }
    }

    @Nested
    class MaybeUpdate {
        @Test
        void newerAckRaisesMatchAndNext() {
            Progress pr = progress(3, 4);
            assertThat(pr.maybeUpdate(7)).isTrue();
            assertThat(pr.match()).isEqualTo(7);
            assertThat(pr.next()).isEqualTo(8);
        }

        @Test
        void staleAckChangesNothing() {
            Progress pr = progress(5, 9);
            assertThat(pr.maybeUpdate(4)).isFalse();
            assertThat(pr.maybeUpdate(5)).isFalse();
            assertThat(pr.match()).isEqualTo(5);
            assertThat(pr.next()).as("next never moves back on an ack").isEqualTo(9);
        }

        @Test
        void ackUnpausesAProbe() {
            Progress pr = progress(3, 4);
            pr.sentEntries(1, 4, 1);
            assertThat(pr.isPaused()).isTrue();
            pr.maybeUpdate(4);
            assertThat(pr.isPaused()).isFalse();
        }
    }

    @Nested
    class MaybeDecreaseTo {
        @Test
        void replicateIgnoresRejectionsAtOrBelowMatch() {
            Progress pr = progress(5, 6);
            pr.becomeReplicate();
            pr.sentEntries(3, 8, 3);
            assertThat(pr.maybeDecreaseTo(5, 2)).isFalse();
            assertThat(pr.maybeDecreaseTo(4, 2)).isFalse();
            assertThat(pr.next()).isEqualTo(9);
        }

        @Test
        void replicateFallsBackToMatchPlusOne() {
            Progress pr = progress(5, 6);
            pr.becomeReplicate();
            pr.sentEntries(3, 8, 3);
            // The hint is not used in REPLICATE: pipelined appends make it unreliable.
            assertThat(pr.maybeDecreaseTo(7, 1)).isTrue();
            assertThat(pr.next()).isEqualTo(6);
        }

        @Test
        void probeIgnoresRejectionOfAnotherProbe() {
            Progress pr = progress(0, 10);
            assertThat(pr.maybeDecreaseTo(5, 2)).isFalse();
            assertThat(pr.next()).isEqualTo(10);
        }

        @Test
        void probeJumpsToTheHint() {
            Progress pr = progress(0, 10);
            pr.sentEntries(0, 9, 0);
            assertThat(pr.maybeDecreaseTo(9, 3)).isTrue();
            assertThat(pr.next()).isEqualTo(4);
            assertThat(pr.isPaused()).as("the rejection answers the outstanding probe").isFalse();
        }

        @Test
        void probeNeverGoesBelowMatchPlusOneOrAboveRejected() {
            Progress pr = progress(4, 10);
            assertThat(pr.maybeDecreaseTo(9, 1)).isTrue();
            assertThat(pr.next()).isEqualTo(5);
            Progress other = progress(0, 10);
            assertThat(other.maybeDecreaseTo(9, 50)).isTrue();
            assertThat(other.next()).isEqualTo(9);
        }

        @Test
        void snapshotStateIgnoresStaleRejections() {
            Progress pr = progress(2, 3);
            pr.becomeSnapshot(20);
            assertThat(pr.maybeDecreaseTo(2, 1)).isFalse();
            assertThat(pr.state()).isEqualTo(ProgressState.SNAPSHOT);
            assertThat(pr.next()).isEqualTo(21);
        }
    }

    @Nested
    class Pausing {
        @Test
        void probePausesAfterOneAppendUntilResumed() {
            Progress pr = progress(0, 1);
            pr.sentEntries(2, 2, 10);
            assertThat(pr.isPaused()).isTrue();
            assertThat(pr.next()).as("a probe does not move next").isEqualTo(1);
            pr.resume();
            assertThat(pr.isPaused()).isFalse();
        }

        @Test
        void replicatePausesWhenTheWindowIsFull() {
            Progress pr = progress(0, 1);
            pr.becomeReplicate();
            pr.sentEntries(1, 1, 1);
            pr.sentEntries(1, 2, 1);
            assertThat(pr.isPaused()).isFalse();
            pr.sentEntries(1, 3, 1);
            assertThat(pr.isPaused()).isTrue();
            assertThat(pr.next()).isEqualTo(4);
            pr.inflights().freeLE(1);
            assertThat(pr.isPaused()).isFalse();
        }

        @Test
        void replicateEmptyAppendTakesNoWindowSlot() {
            Progress pr = progress(0, 1);
            pr.becomeReplicate();
            pr.sentEntries(0, 0, 0);
            assertThat(pr.inflights().count()).isZero();
            assertThat(pr.isPaused()).isFalse();
        }

        @Test
        void sendingEntriesWhileSnapshottingIsABug() {
            Progress pr = progress(0, 1);
            pr.becomeSnapshot(5);
            assertThatThrownBy(() -> pr.sentEntries(1, 6, 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void withLearnerKeepsReplicationState() {
        Progress pr = new Progress(3, 4, true, 3, 1_000);
        pr.markActive();
        pr.becomeSnapshot(10);
        Progress promoted = pr.withLearner(false, 3, 1_000);
        assertThat(promoted.isLearner()).isFalse();
        assertThat(promoted.match()).isEqualTo(3);
        assertThat(promoted.state()).isEqualTo(ProgressState.SNAPSHOT);
        assertThat(promoted.pendingSnapshot()).isEqualTo(10);
        assertThat(promoted.recentActive()).isTrue();
    }

    @Test
    void activityTracking() {
        Progress pr = progress(0, 1);
        assertThat(pr.recentActive()).isFalse();
        pr.tickInactive();
        pr.tickInactive();
        assertThat(pr.inactiveTicks()).isEqualTo(2);
        pr.markActive();
        assertThat(pr.recentActive()).isTrue();
        assertThat(pr.inactiveTicks()).isZero();
        pr.clearRecentActive();
        assertThat(pr.recentActive()).isFalse();
    }
}

package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The runtime's meters, registered once on the registry the server passes in. */
final class RuntimeMetrics {
    private final Counter proposalsAccepted;
    private final Counter proposalsDropped;
    private final Counter entriesCommitted;
    private final Counter entriesApplied;
    private final Timer logSync;
    private final Counter logWritesUnsynced;
    private final DistributionSummary groupsPerSync;
    private final DistributionSummary entriesPerSync;
    private final Counter messagesSent;
    private final DistributionSummary messagesPerBatch;
    private final Counter messagesDropped;
    private final Counter snapshotsBuilt;
    private final Counter snapshotBuildFailures;
    private final Timer snapshotBuild;
    private final DistributionSummary snapshotBytes;
    private final Counter snapshotsSent;
    private final Counter snapshotsReceived;
    private final Counter groupsFailed;
    private final Counter threadCrashes;
    private final Counter replicaResets;
    private final Counter leaderDown;
    private final Counter impossibleMessages;
    private final Counter preVoteCampaigns;
    private final Counter voteCampaigns;
    private final Counter leadershipsWon;
    private final Timer leaderless;
    private final Timer[] proposalStages = new Timer[ProposalTracker.Stage.values().length];

    RuntimeMetrics(MeterRegistry registry, Supplier<Number> groups, Supplier<Number> quiescedGroups,
                   Supplier<Number> failedGroups) {
        proposalsAccepted = Counter.builder("raft.proposals").tag("result", "accepted").register(registry);
        proposalsDropped = Counter.builder("raft.proposals").tag("result", "dropped").register(registry);
        entriesCommitted = Counter.builder("raft.entries.committed").register(registry);
        entriesApplied = Counter.builder("raft.entries.applied").register(registry);
        logSync = Timer.builder("raft.log.sync").description("one synced write of a poller cycle")
                .publishPercentiles(0.5, 0.99, 0.999).register(registry);
        logWritesUnsynced = Counter.builder("raft.log.writes.unsynced")
                .description("poller cycles whose log write only moved commit indexes, written without an fsync")
                .register(registry);
        groupsPerSync = DistributionSummary.builder("raft.log.sync.groups").register(registry);
        entriesPerSync = DistributionSummary.builder("raft.log.sync.entries").register(registry);
        messagesSent = Counter.builder("raft.messages.sent").register(registry);
        messagesPerBatch = DistributionSummary.builder("raft.messages.batch").description("messages per destination per cycle")
                .register(registry);
        messagesDropped = Counter.builder("raft.messages.dropped").register(registry);
        snapshotsBuilt = Counter.builder("raft.snapshots.built").register(registry);
        snapshotBuildFailures = Counter.builder("raft.snapshots.build.failures")
                .description("snapshot builds that failed (the group goes on and tries again later)").register(registry);
        snapshotBuild = Timer.builder("raft.snapshots.build").description("writing one snapshot's files")
                .register(registry);
        snapshotBytes = DistributionSummary.builder("raft.snapshots.bytes").baseUnit("bytes")
                .description("size of the snapshots built here").register(registry);
        snapshotsSent = Counter.builder("raft.snapshots.sent").register(registry);
        snapshotsReceived = Counter.builder("raft.snapshots.received").register(registry);
        preVoteCampaigns = Counter.builder("raft.campaigns").tag("stage", "pre-vote")
                .description("times a replica here asked for pre-votes").register(registry);
        voteCampaigns = Counter.builder("raft.campaigns").tag("stage", "vote")
                .description("times a replica here campaigned in a new term").register(registry);
        leadershipsWon = Counter.builder("raft.leaderships.won").description("times a replica here became leader")
                .register(registry);
        leaderless = Timer.builder("raft.leaderless")
                .description("how long a replica here knew no leader, from losing one to hearing of the next")
                .publishPercentiles(0.5, 0.99).register(registry);
        for (ProposalTracker.Stage stage : ProposalTracker.Stage.values()) {
            proposalStages[stage.ordinal()] = Timer.builder("raft.proposals.stage")
                    .tag("stage", stage.name().toLowerCase(java.util.Locale.ROOT))
                    .description("a proposal led here: queue = in the mailbox until the poller proposed it,"
                            + " commit = until a quorum stored it, apply = from commit until applied")
                    .publishPercentiles(0.5, 0.99).register(registry);
        }
        groupsFailed = Counter.builder("raft.groups.failures").register(registry);
        replicaResets = Counter.builder("raft.replicas.reset")
                .description("replicas opened with a state machine the log cannot replay to, reset to empty")
                .register(registry);
        threadCrashes = Counter.builder("raft.threads.crashes")
                .description("poller or apply cycles that died of something no group caused (OutOfMemoryError)")
                .register(registry);
        impossibleMessages = Counter.builder("raft.messages.impossible")
                .description("messages dropped because no correct peer sends them (e.g. an append at this leader's term)")
                .register(registry);
        leaderDown = Counter.builder("raft.failure.detector.leader.down")
                .description("followers told that their leader's server went silent, so they may elect another")
                .register(registry);
        // Micrometer holds a gauge's object weakly; these suppliers are held by nothing else, so
        // without a strong reference they are collected and the gauges read NaN.
        Gauge.builder("raft.groups", groups, s -> s.get().doubleValue()).strongReference(true).register(registry);
        Gauge.builder("raft.groups.quiesced", quiescedGroups, s -> s.get().doubleValue()).strongReference(true)
                .register(registry);
        Gauge.builder("raft.groups.failed", failedGroups, s -> s.get().doubleValue()).strongReference(true)
                .register(registry);
    }

    void impossibleMessage() {
        impossibleMessages.increment();
    }

    void leaderDown() {
        leaderDown.increment();
    }

    void proposal(boolean accepted) {
        (accepted ? proposalsAccepted : proposalsDropped).increment();
    }

    void proposalStage(ProposalTracker.Stage stage, long nanos) {
        proposalStages[stage.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    void entriesCommitted(int n) {
        entriesCommitted.increment(n);
    }

    void entriesApplied(int n) {
        entriesApplied.increment(n);
    }

    void logWrittenUnsynced() {
        logWritesUnsynced.increment();
    }

    void logSynced(long nanos, int groups, int entries) {
        logSync.record(nanos, TimeUnit.NANOSECONDS);
        groupsPerSync.record(groups);
        entriesPerSync.record(entries);
    }

    void messageBatchSent(int messages) {
        messagesSent.increment(messages);
        messagesPerBatch.record(messages);
    }

    void messageDropped() {
        messagesDropped.increment();
    }

    void snapshotBuilt(long nanos, io.shardkv.raft.proto.SnapshotManifest manifest) {
        snapshotsBuilt.increment();
        snapshotBuild.record(nanos, TimeUnit.NANOSECONDS);
        snapshotBytes.record(io.shardkv.raft.snapshot.Manifests.totalBytes(manifest));
    }

    void snapshotBuildFailed() {
        snapshotBuildFailures.increment();
    }

    void snapshotSent() {
        snapshotsSent.increment();
    }

    void snapshotReceived() {
        snapshotsReceived.increment();
    }

    void replicaReset() {
        replicaResets.increment();
    }

    void threadCrashed() {
        threadCrashes.increment();
    }

    void groupFailed() {
        groupsFailed.increment();
    }

    void campaign(boolean preVote) {
        (preVote ? preVoteCampaigns : voteCampaigns).increment();
    }

    void leadershipWon() {
        leadershipsWon.increment();
    }

    void leaderless(long nanos) {
        leaderless.record(nanos, TimeUnit.NANOSECONDS);
    }
}

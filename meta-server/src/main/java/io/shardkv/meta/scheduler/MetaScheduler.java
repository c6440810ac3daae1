package io.shardkv.meta.scheduler;

import io.micrometer.core.instrument.Counter;
import io.shardkv.meta.group.MetaGroup;
import io.shardkv.meta.liveness.HeartbeatTracker;
import io.shardkv.meta.liveness.LivenessMonitor;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta leader's scheduler thread. Every {@code intervalMillis} it: marks silent
 * servers DOWN, bootstraps the first groups when the time has come, moves each group's
 * oldest pending task forward through {@link TaskStepper} (groups side by side on a small
 * pool, and the pass waits for all of them), and, once no task has been pending
 * for {@code balanceQuietMillis} and no server has been down or silent for three times that
 * ({@link BalanceGate}), files a leader transfer that {@link LeaderBalancer} proposes.
 * Every outcome goes through the meta log (step reached, last error when it changes, DONE,
 * FAILED), so a new leader resumes where the old one stood. On a follower it does nothing.
 */
public final class MetaScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetaScheduler.class);
    /** Steps one task may take in one pass before the other groups get their turn. */
    private static final int MAX_STEPS_PER_PASS = 6;
    /** A leader transfer not done by then is failed: its target cannot catch up or win. */
    public static final long TRANSFER_GIVE_UP_MILLIS = 30_000;
    /** A kv-server heard from within this long may receive a balancing move (heartbeats come every second). */
    private static final long RESPONSIVE_HEARTBEAT_MILLIS = 3_000;
    /** Entries a balancing target may trail the leader's commit by (reports are up to a second old). */
    private static final long MAX_LAG_TO_LEAD = 2_000;
    /** Groups whose tasks move forward at the same time. */
    private static final int STEP_THREADS = 4;

    private final MetaGroup group;
    private final HeartbeatTracker heartbeats;
    private final LivenessMonitor liveness;
    private final BootstrapPlanner planner;
    private final TaskStepper stepper;
    private final LeaderBalancer balancer = new LeaderBalancer();
    private final long intervalMillis;
    private final long proposeTimeoutMillis;
    private final BalanceGate balanceGate;
    private final BalanceGate slotGate;
    private final SlotBalancer slotBalancer;
    private final Counter balanceMoves;
    private final ScheduledExecutorService thread;
    /** Runs the groups' tasks of one pass side by side. */
    private final ExecutorService steps;
    /** When this leadership first saw each pending TRANSFER_LEADER task (the step threads write it). */
    private final Map<Long, Long> transferSeenMillis = new ConcurrentHashMap<>();
    /** A task stuck on one failure is logged again this often, with the failure's latest words. */
    private final RetryLog retryLog = new RetryLog(30_000, System::currentTimeMillis);
    // Only the scheduler thread touches the fields below.
    private boolean leading;

    /**
     * @param balanceQuietMillis how long no task must be pending before the next leader move; 0
     *                           turns leader balancing off
     * @param balanceMoves       counts the leader moves the balancer files
     */
    public MetaScheduler(MetaGroup group, HeartbeatTracker heartbeats, LivenessMonitor liveness,
                         BootstrapPlanner planner, TaskStepper stepper, long intervalMillis, long proposeTimeoutMillis,
                         long balanceQuietMillis, SlotBalance slotBalance, Counter balanceMoves) {
        this.group = group;
        this.heartbeats = heartbeats;
        this.liveness = liveness;
        this.planner = planner;
        this.stepper = stepper;
        this.intervalMillis = intervalMillis;
        this.proposeTimeoutMillis = proposeTimeoutMillis;
        this.balanceGate = new BalanceGate(balanceQuietMillis, RESPONSIVE_HEARTBEAT_MILLIS);
        this.slotGate = new BalanceGate(slotBalance.quietMillis(), RESPONSIVE_HEARTBEAT_MILLIS);
        this.slotBalancer = new SlotBalancer(slotBalance.tolerance());
        this.balanceMoves = balanceMoves;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meta-scheduler-" + group.selfId());
            t.setDaemon(true);
            return t;
        });
        AtomicInteger stepThreads = new AtomicInteger();
        this.steps = Executors.newFixedThreadPool(STEP_THREADS, r -> {
            Thread t = new Thread(r, "meta-steps-" + group.selfId() + "-" + stepThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::runOnceSafely, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private void runOnceSafely() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            // The next pass retries from the map; a failed pass must not end the schedule.
            LOG.error("scheduler pass failed on meta-server {}", group.selfId(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One pass; public so tests may drive it. */
    public void runOnce() throws InterruptedException {
        if (!group.isLeader()) {
            leading = false;
            return;
        }
        if (!leading) {
            // Act only on a map that includes everything the previous leader committed.
            if (group.confirmReadable(proposeTimeoutMillis).join().getCode() != MetaErrorCode.OK) {
                return;
            }
            heartbeats.becameLeader();
            leading = true;
            // Leader hints start empty on a new leader: give heartbeats time to fill them.
            balanceGate.leadershipStarted(heartbeats.nowMillis());
            slotGate.leadershipStarted(heartbeats.nowMillis());
            transferSeenMillis.clear();
            LOG.info("meta-server {} leads the meta group at map version {}", group.selfId(),
                    group.currentMap().getConfigVersion());
        }
        for (long id : liveness.serversToMarkDown(group.currentMap())) {
            LOG.warn("marking kv-server {} down: no heartbeat for {} ms", id, heartbeats.silenceMillis(id));
            propose(MetaCommand.setServerState(id, ServerState.SERVER_DOWN));
        }
        Optional<MetaCommand> bootstrap = planner.plan(group.currentMap());
        if (bootstrap.isPresent()) {
            LOG.info("bootstrapping the cluster: {}", bootstrap.get());
            propose(bootstrap.get());
        }
        TreeSet<Long> groupsWithTasks = new TreeSet<>();
        ClusterMaps.pendingTasks(group.currentMap()).forEach(t -> groupsWithTasks.add(t.getGroupId()));
        driveAll(groupsWithTasks);
        maybeBalanceSlots();
        maybeBalanceLeaders();
    }

    /** Files the next slot move that evens out the groups' shares, when the cluster is calm. */
    private void maybeBalanceSlots() throws InterruptedException {
        ClusterMap map = group.currentMap();
        long now = heartbeats.nowMillis();
        if (!slotGate.mayMove(map, heartbeats, now) || !group.isLeader()) {
            return;
        }
        Optional<SlotBalancer.Move> move = slotBalancer.plan(map);
        if (move.isEmpty()) {
            return;
        }
        SlotBalancer.Move m = move.get();
        LOG.info("balancing slots: {} slots from group {} to group {}", m.slots().size(), m.from(), m.to());
        propose(m.command(map.getConfigVersion()));
        slotGate.moved(now);
    }

    /**
     * Drives each group's tasks on the step pool and waits for all: one group's kv-server that
     * does not answer (each call waits out its deadline) must not hold up the other groups.
     */
    private void driveAll(Set<Long> groups) throws InterruptedException {
        List<Future<?>> running = new ArrayList<>();
        for (long g : groups) {
            running.add(steps.submit(() -> {
                try {
                    if (group.isLeader()) {
                        drive(g);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                LOG.error("driving the tasks of a group failed on meta-server {}", group.selfId(), e.getCause());
            }
        }
    }

    private void maybeBalanceLeaders() throws InterruptedException {
        ClusterMap map = group.currentMap();
        heartbeats.forgetRemovedGroups(map);
        long now = heartbeats.nowMillis();
        List<Task> pending = ClusterMaps.pendingTasks(map);
        transferSeenMillis.keySet().removeIf(id -> pending.stream().noneMatch(t -> t.getId() == id));
        if (!balanceGate.mayMove(map, heartbeats, now) || !group.isLeader()) {
            return;
        }
        Optional<LeaderBalancer.Move> move = balancer.plan(map, heartbeats, this::readyToLead);
        if (move.isEmpty()) {
            return;
        }
        LeaderBalancer.Move m = move.get();
        LOG.info("balancing leaders: group {} from kv-server {} to kv-server {}", m.groupId(), m.from(), m.to());
        if (propose(MetaCommand.transferLeader(m.groupId(), m.to(), map.getConfigVersion()))) {
            balanceMoves.increment();
        }
        balanceGate.moved(now);
    }

    /**
     * A replica may take over a group's leadership when its server sent a heartbeat lately and
     * its last report shows the group running there, applied to within {@link #MAX_LAG_TO_LEAD}
     * entries of the commit index the leader last reported.
     */
    private boolean readyToLead(long groupId, long serverId) {
        long age = heartbeats.heartbeatAgeMillis(serverId);
        if (age < 0 || age > RESPONSIVE_HEARTBEAT_MILLIS) {
            return false;
        }
        Optional<GroupReport> mine = report(serverId, groupId);
        Optional<GroupReport> leader = report(heartbeats.leaderOf(groupId), groupId);
        return mine.isPresent() && mine.get().getFailure().isEmpty() && leader.isPresent()
                && mine.get().getApplied() + MAX_LAG_TO_LEAD >= leader.get().getCommit();
    }

    private Optional<GroupReport> report(long serverId, long groupId) {
        return heartbeats.reports(serverId).stream().filter(r -> r.getGroupId() == groupId).findFirst();
    }

    /** Fails a leader transfer that has run past {@link #TRANSFER_GIVE_UP_MILLIS}; true if it did. */
    private boolean gaveUpOn(Task task) throws InterruptedException {
        if (task.getType() != TaskType.TRANSFER_LEADER) {
            return false;
        }
        long now = heartbeats.nowMillis();
        long since = transferSeenMillis.computeIfAbsent(task.getId(), id -> now);
        if (now - since < TRANSFER_GIVE_UP_MILLIS) {
            return false;
        }
        String why = "server " + task.getServerId() + " did not take over group " + task.getGroupId() + " within "
                + TRANSFER_GIVE_UP_MILLIS + " ms" + (task.getLastError().isEmpty() ? "" : ": " + task.getLastError());
        LOG.warn("task {} (TRANSFER_LEADER group {}) failed: {}", task.getId(), task.getGroupId(), why);
        propose(MetaCommand.taskFail(task.getId(), why));
        return true;
    }

    private void drive(long groupId) throws InterruptedException {
        for (int i = 0; i < MAX_STEPS_PER_PASS; i++) {
            ClusterMap map = group.currentMap();
            Optional<Task> pending = ClusterMaps.pendingTaskOf(map, groupId);
            if (pending.isEmpty()) {
                return;
            }
            Task task = pending.get();
            if (gaveUpOn(task)) {
                return;
            }
            StepResult r = stepper.step(task, map);
            if (r instanceof StepResult.Advanced a) {
                LOG.info("task {} ({} group {}) reached step {}", task.getId(), task.getType(), groupId, a.step());
                if (!propose(MetaCommand.taskProgress(task.getId(), a.step().recorded()))) {
                    return;
                }
            } else if (r instanceof StepResult.Completed) {
                LOG.info("task {} ({} group {}) is done", task.getId(), task.getType(), groupId);
                retryLog.forget(task.getId());
                if (!propose(MetaCommand.taskComplete(task.getId()))) {
                    return;
                }
            } else if (r instanceof StepResult.Retry retry) {
                // Recording each retry's message would bump the map version on every pass when
                // only its numbers change ("120 of 5000 entries behind"); the typed code does not.
                StepError error = retry.error();
                boolean newFailure = !error.code().equals(task.getLastErrorCode());
                if (retryLog.shouldLog(task.getId(), error.code())) {
                    LOG.info("task {} ({} group {}) {} at step {}: {}", task.getId(), task.getType(), groupId,
                            newFailure ? "will retry" : "still retrying", task.getStep(), error.message());
                }
                if (newFailure) {
                    propose(MetaCommand.taskProgress(task.getId(), task.getStep(), error.message(), error.code()));
                }
                return;
            } else if (r instanceof StepResult.Waiting) {
                return;
            } else if (r instanceof StepResult.Decide d) {
                LOG.info("task {} ({} group {}) decides {}", task.getId(), task.getType(), groupId, d.command());
                if (!propose(d.command())) {
                    return;
                }
            } else if (r instanceof StepResult.Failed failed) {
                LOG.warn("task {} ({} group {}) failed: {}", task.getId(), task.getType(), groupId, failed.error());
                retryLog.forget(task.getId());
                propose(MetaCommand.taskFail(task.getId(), failed.error()));
                return;
            }
        }
    }

    /** Proposes and waits for the apply; false when it did not apply (the next pass tries again). */
    private boolean propose(MetaCommand command) throws InterruptedException {
        try {
            ClusterShardgroupChangeResponse r = group.propose(command, proposeTimeoutMillis)
                    .get(proposeTimeoutMillis + 1_000, TimeUnit.MILLISECONDS);
            if (r.getError().getCode() != MetaErrorCode.OK) {
                LOG.info("scheduler command {} was refused: {} {}", command.type(), r.getError().getCode(),
                        r.getError().getMessage());
                return false;
            }
            return true;
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("scheduler command {} did not apply: {}", command.type(), e.toString());
            return false;
        }
    }

    /** Pending tasks in the map (for the metrics gauge). */
    public static long pendingTasks(ClusterMap map) {
        return map.getTasksList().stream().filter(t -> t.getState() == TaskState.PENDING).count();
    }

    @Override
    public void close() {
        thread.shutdownNow();
        steps.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
            steps.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

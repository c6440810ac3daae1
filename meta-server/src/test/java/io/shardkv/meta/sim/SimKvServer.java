package io.shardkv.meta.sim;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.kv.admin.MigrationAdmin;
import io.shardkv.kv.admin.MigrationGroups;
import io.shardkv.kv.metalink.ClusterView;
import io.shardkv.kv.migration.Importer;
import io.shardkv.kv.migration.Importers;
import io.shardkv.kv.proto.MigrationRequest;
import io.shardkv.kv.proto.MigrationResponse;
import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.kv.replica.GroupRouter;
import io.shardkv.kv.replica.KvErrors;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.raft.transport.PeerDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One simulated kv-server: the real {@link MigrationAdmin} and {@link Importers} over the
 * simulation's groups. Its importers are not run on threads: the simulation keeps them and steps
 * them in its own (seeded) order. A restart replaces the importers, as a process restart loses
 * them.
 */
final class SimKvServer {
    final long id;
    private final SimWorld world;
    private final KvErrors errors;
    private final MigrationGroups groups;
    private MigrationAdmin admin;
    private Importers importers;
    /** The importers handed to run, in order; the simulation steps them. */
    final List<Importer> importersToStep = new ArrayList<>();

    SimKvServer(long id, SimWorld world) {
        this.id = id;
        this.world = world;
        this.errors = new KvErrors(new ClusterView(id, new PeerDirectory()));
        this.groups = new MigrationGroups() {
            @Override
            public long serverId() {
                return id;
            }

            @Override
            public GroupRouter.Route leaderRoute(long groupId) {
                SimGroup g = world.group(groupId);
                if (g == null) {
                    return new GroupRouter.Route(null, errors.wrongGroup("group " + groupId + " is not hosted"));
                }
                if (g.leader != id) {
                    return new GroupRouter.Route(null, errors.notLeader(groupId, g.leader));
                }
                return new GroupRouter.Route(g.machine, null);
            }

            @Override
            public Optional<KvStateMachine> hosted(long groupId) {
                SimGroup g = world.group(groupId);
                return g == null ? Optional.empty() : Optional.of(g.machine);
            }

            @Override
            public CompletableFuture<byte[]> propose(long groupId, byte[] command) {
                return world.propose(groupId, id, command);
            }
        };
        restart();
    }

    /** A process restart: in-memory importers are gone; the groups' state is not. */
    void restart() {
        importersToStep.clear();
        importers = new Importers(new Importer.GroupProposer() {
            @Override
            public CommandResult propose(long groupId, byte[] command, long timeoutMillis)
                    throws java.util.concurrent.ExecutionException {
                try {
                    return CommandResult.decode(world.propose(groupId, id, command).join());
                } catch (java.util.concurrent.CompletionException e) {
                    throw new java.util.concurrent.ExecutionException(e.getCause());
                }
            }

            @Override
            public boolean leads(long groupId) {
                SimGroup g = world.group(groupId);
                return g != null && g.leader == id && !world.isolated(id);
            }
        }, world::pull, 0, new SimpleMeterRegistry(), r -> importersToStep.add((Importer) r));
        admin = new MigrationAdmin(groups, errors, Runnable::run, 1_000, importers);
    }

    MigrationResponse migration(MigrationRequest r) {
        Capture<MigrationResponse> c = new Capture<>();
        admin.migration(r, c);
        return c.get();
    }

    PullResponse pull(PullRequest r) {
        Capture<PullResponse> c = new Capture<>();
        admin.pull(r, c);
        return c.get();
    }

    /** Everything here answers synchronously: the executor runs in place and proposals complete at once. */
    private static final class Capture<T> implements StreamObserver<T> {
        private T value;

        @Override
        public void onNext(T v) {
            value = v;
        }

        @Override
        public void onError(Throwable t) {
            throw new IllegalStateException(t);
        }

        @Override
        public void onCompleted() {
        }

        T get() {
            if (value == null) {
                throw new IllegalStateException("no answer");
            }
            return value;
        }
    }
}

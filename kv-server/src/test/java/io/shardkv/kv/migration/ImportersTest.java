package io.shardkv.kv.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.common.Slots;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvPair;
import io.shardkv.kv.proto.MigrationCommand;
import io.shardkv.kv.proto.PrepareImport;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.kv.state.Command;
import io.shardkv.kv.state.CommandCodec;
import io.shardkv.kv.state.CommandResult;
import io.shardkv.kv.state.KvStateMachine;
import io.shardkv.kv.state.StateMachineSettings;
import io.shardkv.raft.core.Entry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An importer that meets a page its group refuses stops for good, and says why until the move is aborted. */
class ImportersTest {
    @TempDir
    Path dir;

    @Test
    void anImporterThatFailedForGoodKeepsItsFailureInsteadOfBeingReplaced() throws Exception {
        try (KvEngine engine = KvEngine.open(dir.resolve("kv"))) {
            KvStateMachine target = KvStateMachine.open(2, engine, StateMachineSettings.defaults());
            long[] index = {0};
            Importer.GroupProposer proposer = new Importer.GroupProposer() {
                @Override
                public CommandResult propose(long groupId, byte[] command, long timeoutMillis) {
                    return CommandResult.decode(target.apply(List.of(Entry.normal(1, ++index[0], command))).get(0));
                }

                @Override
                public boolean leads(long groupId) {
                    return true;
                }
            };
            proposer.propose(2, CommandCodec.encode(new Command.Migration(1, MigrationCommand.newBuilder()
                    .setMigrationId(7).setPrepareImport(PrepareImport.newBuilder().addSlots(5).setSourceGroupId(1))
                    .build())), 0);
            // The source sends a key of a slot the migration does not import: the group refuses it.
            byte[] stray = strayKey(5);
            PullSource source = request -> PullResponse.newBuilder().setError(KvError.newBuilder().setCode(ErrorCode.OK))
                    .addPairs(KvPair.newBuilder().setKey(ByteString.copyFrom(stray)).setValue(ByteString.copyFromUtf8("v")))
                    .setDone(true).build();
            List<Importer> handed = new ArrayList<>();
            Importers importers = new Importers(proposer, source, 0, new SimpleMeterRegistry(),
                    r -> handed.add((Importer) r));

            importers.ensure(target, target.migration(7).orElseThrow());
            assertThat(handed).hasSize(1);
            assertThatThrownBy(() -> handed.get(0).step()).hasMessageContaining("does not import");
            assertThat(handed.get(0).stopped()).isTrue();

            importers.ensure(target, target.migration(7).orElseThrow());
            assertThat(handed).as("not replaced by an importer that would fail the same way").hasSize(1);
            assertThat(importers.progress(7, target.migration(7).orElseThrow()).orElseThrow().failure())
                    .contains("does not import");
            importers.close();
        }
    }

    /** A key whose slot is not {@code slot}. */
    private static byte[] strayKey(int slot) {
        for (int i = 0; ; i++) {
            byte[] k = ("stray-" + i).getBytes(StandardCharsets.UTF_8);
            if (Slots.of(k) != slot) {
                return k;
            }
        }
    }
}

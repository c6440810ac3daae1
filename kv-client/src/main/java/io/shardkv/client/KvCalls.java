package io.shardkv.client;

import com.google.common.util.concurrent.ListenableFuture;
import io.shardkv.common.Slots;
import io.shardkv.kv.proto.ClientOperationResponse;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvServiceGrpc.KvServiceFutureStub;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.kv.proto.ScanResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/** The {@link KvCall}s of {@link KvClient}: by key, by group (scan pages), by a batch's group. */
final class KvCalls {
    private KvCalls() {
    }

    /**
     * {@code call} as a read of {@code consistency} is served: a STALE read by any replica, so its
     * answer says nothing of who leads; anything else as it is.
     */
    static <R> KvCall<R> forConsistency(KvCall<R> call, ReadConsistency consistency) {
        if (consistency != ReadConsistency.STALE) {
            return call;
        }
        return new KvCall<>() {
            @Override
            public long group(RoutingTable table) {
                return call.group(table);
            }

            @Override
            public ListenableFuture<R> send(KvServiceFutureStub stub, RequestHeader header) {
                return call.send(stub, header);
            }

            @Override
            public KvError error(R response) {
                return call.error(response);
            }

            @Override
            public String describe() {
                return call.describe();
            }

            @Override
            public int[] slots() {
                return call.slots();
            }

            @Override
            public boolean needsLeader() {
                return false;
            }
        };
    }

    /** A request routed by its key's slot. */
    static final class KeyCall<R> implements KvCall<R> {
        private final int slot;
        private final String description;
        private final Function<R, KvError> errorOf;
        private final Sender<R> sender;

        KeyCall(byte[] key, String op, Function<R, KvError> errorOf, Sender<R> sender) {
            this.slot = Slots.of(key);
            this.description = op + " of key '" + printable(key) + "' (slot " + slot + ")";
            this.errorOf = errorOf;
            this.sender = sender;
        }

        @Override
        public long group(RoutingTable table) {
            return table.groupOfSlot(slot);
        }

        @Override
        public int[] slots() {
            return new int[] {slot};
        }

        @Override
        public ListenableFuture<R> send(
                KvServiceFutureStub stub, RequestHeader header) {
            return sender.send(stub, header);
        }

        @Override
        public KvError error(R response) {
            return errorOf.apply(response);
        }

        @Override
        public String describe() {
            return description;
        }
    }

    /** A batch, routed to the one group owning all its keys. */
    static final class BatchCall implements KvCall<ClientOperationResponse> {
        private final int[] slots;
        private final Sender<ClientOperationResponse> sender;
        private final boolean gathered;
        private final String kinds;

        /** A batch the caller made: keys of several groups are the caller's error. */
        BatchCall(List<BatchOp> ops, Sender<ClientOperationResponse> sender) {
            this(ops, sender, false);
        }

        /**
         * @param gathered the client gathered the batch from single requests ({@link RequestBatcher}):
         *                 keys found in several groups mean slots moved, not a caller's error
         */
        BatchCall(List<BatchOp> ops, Sender<ClientOperationResponse> sender, boolean gathered) {
            this.slots = new int[ops.size()];
            for (int i = 0; i < ops.size(); i++) {
                slots[i] = Slots.of(ops.get(i).key());
            }
            this.sender = sender;
            this.gathered = gathered;
            long gets = ops.stream().filter(op -> op.type() == io.shardkv.kv.proto.OpType.GET).count();
            this.kinds = gets == ops.size() ? " reads" : gets == 0 ? " writes" : " reads and writes";
        }

        @Override
        public long group(RoutingTable table) {
            long group = table.groupOfSlot(slots[0]);
            for (int slot : slots) {
                long other = table.groupOfSlot(slot);
                if (other == 0) {
                    return 0;
                }
                if (other != group) {
                    String why = "batch keys belong to groups " + group + " and " + other + " in map version "
                            + table.version();
                    throw gathered ? new BatchSplitException(describe() + ": " + why, false)
                            : KvException.invalidArgument(why + "; a batch must stay within one group");
                }
            }
            return group;
        }

        @Override
        public ListenableFuture<ClientOperationResponse> send(KvServiceFutureStub stub, RequestHeader header) {
            return sender.send(stub, header);
        }

        @Override
        public int[] slots() {
            return slots.clone();
        }

        @Override
        public KvError error(ClientOperationResponse response) {
            return response.getError();
        }

        @Override
        public String describe() {
            return gathered ? "batch of " + slots.length + kinds + " gathered by the client"
                    : "batch of " + slots.length + " operations";
        }
    }

    /**
     * A batch gathered by the client ({@link RequestBatcher}) whose keys now belong to several
     * groups, so it cannot be sent as it is. Its reads, and its writes if no attempt of it may
     * have applied, are sent again one by one; otherwise this is the writes' failure, and their
     * outcome is unknown.
     */
    static final class BatchSplitException extends KvException {
        private final boolean mayHaveApplied;

        BatchSplitException(String message, boolean mayHaveApplied) {
            super(ErrorCode.UNAVAILABLE, message);
            this.mayHaveApplied = mayHaveApplied;
        }

        boolean mayHaveApplied() {
            return mayHaveApplied;
        }

        /** This failure, knowing whether an earlier attempt of the batch ended without an answer. */
        BatchSplitException afterAttempts(boolean outcomeUnknown) {
            return outcomeUnknown ? new BatchSplitException(getMessage() + "; an earlier attempt ended without an"
                    + " answer, so the writes may or may not have applied", true) : this;
        }
    }

    /**
     * A scan page of some slots of one group. When a newer map gives one of the slots to another
     * group (a slot move committed), the call fails at once with WRONG_GROUP instead of retrying:
     * the scan then splits the slots by their new owners and resumes each part from its cursor.
     */
    static final class GroupScanCall implements KvCall<ScanResponse> {
        private final long group;
        private final List<Integer> slots;
        private final Sender<ScanResponse> sender;

        GroupScanCall(long group, List<Integer> slots, Sender<ScanResponse> sender) {
            this.group = group;
            this.slots = List.copyOf(slots);
            this.sender = sender;
        }

        @Override
        public long group(RoutingTable table) {
            if (!table.hasGroup(group)) {
                throw new KvException(ErrorCode.WRONG_GROUP, "group " + group
                        + " left the cluster map (version " + table.version() + ") during the scan");
            }
            for (int slot : slots) {
                if (table.groupOfSlot(slot) != group) {
                    throw new KvException(ErrorCode.WRONG_GROUP, "slot " + slot + " moved from group " + group
                            + " to group " + table.groupOfSlot(slot) + " (map version " + table.version()
                            + ") during the scan");
                }
            }
            return group;
        }

        @Override
        public ListenableFuture<ScanResponse> send(
                KvServiceFutureStub stub, RequestHeader header) {
            return sender.send(stub, header);
        }

        @Override
        public KvError error(ScanResponse response) {
            return response.getError();
        }

        @Override
        public String describe() {
            return "scan of group " + group;
        }
    }

    @FunctionalInterface
    interface Sender<R> {
        ListenableFuture<R> send(
                KvServiceFutureStub stub, RequestHeader header);
    }

    static String printable(byte[] key) {
        String s = new String(key, StandardCharsets.UTF_8);
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}

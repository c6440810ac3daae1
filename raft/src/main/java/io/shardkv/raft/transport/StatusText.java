package io.shardkv.raft.transport;

import io.grpc.Status;

/** One-line descriptions of gRPC failures for logs; Status.toString would print whole stack traces. */
final class StatusText {

    private StatusText() {
    }

    static String of(Throwable t) {
        Status s = Status.fromThrowable(t);
        StringBuilder sb = new StringBuilder(s.getCode().name());
        if (s.getDescription() != null) {
            sb.append(": ").append(s.getDescription());
        }
        Throwable cause = s.getCause();
        if (cause != null && cause != t) {
            sb.append(" (").append(cause).append(')');
        }
        return sb.toString();
    }
}

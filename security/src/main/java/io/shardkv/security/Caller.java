package io.shardkv.security;

import io.grpc.Context;
import java.util.Optional;

/**
 * The identity whose certificate made the current gRPC call, as {@link Authorizer} found it.
 * Empty when the server runs without TLS ({@code --insecure}): then nobody is proven.
 */
public final class Caller {
    static final Context.Key<Identity> KEY = Context.key("shardkv-caller");

    private Caller() {
    }

    public static Optional<Identity> current() {
        return Optional.ofNullable(KEY.get());
    }
}

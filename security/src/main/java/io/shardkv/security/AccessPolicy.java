package io.shardkv.security;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which roles may call which gRPC method on one server. A method the policy does not name is
 * refused: a new RPC must be given its roles before anyone can call it.
 */
public final class AccessPolicy {
    private final Map<String, Set<Role>> byMethod;

    private AccessPolicy(Map<String, Set<Role>> byMethod) {
        this.byMethod = byMethod;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The roles that may call the method (full name, {@code package.Service/Method}); empty if none may. */
    public Set<Role> rolesFor(String fullMethodName) {
        return Optional.ofNullable(byMethod.get(fullMethodName)).orElse(Set.of());
    }

    public static final class Builder {
        private final Map<String, Set<Role>> byMethod = new HashMap<>();

        /** Every method of the service, to these roles. */
        public Builder allow(ServiceDescriptor service, Role first, Role... more) {
            for (MethodDescriptor<?, ?> m : service.getMethods()) {
                allow(m, first, more);
            }
            return this;
        }

        /** One method to these roles, in place of what an earlier call gave it. */
        public Builder allow(MethodDescriptor<?, ?> method, Role first, Role... more) {
            byMethod.put(method.getFullMethodName(), Collections.unmodifiableSet(EnumSet.of(first, more)));
            return this;
        }

        public AccessPolicy build() {
            return new AccessPolicy(Map.copyOf(byMethod));
        }
    }
}

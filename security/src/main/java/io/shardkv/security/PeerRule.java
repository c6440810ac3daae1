package io.shardkv.security;

import java.util.EnumSet;
import java.util.Set;

/**
 * Whom a connection may reach: checked against the certificate the other side shows in the
 * handshake, after its chain is checked against the cluster CA. Host names are not checked:
 * a ShardKV certificate names a role and a server id, and the caller knows which of those it
 * dialed, which says more than an address that a container or a NAT may change.
 */
public sealed interface PeerRule {
    /** Whether the other side, having shown this identity, is the one meant. */
    boolean admits(Identity peer);

    /** What the rule expects, for messages. */
    String describe();

    static PeerRule anyOf(Role first, Role... more) {
        return new Roles(EnumSet.of(first, more));
    }

    static PeerRule exactly(Identity identity) {
        return new Exactly(identity);
    }

    record Roles(Set<Role> roles) implements PeerRule {
        @Override
        public boolean admits(Identity peer) {
            return roles.contains(peer.role());
        }

        @Override
        public String describe() {
            return "a certificate with role " + String.join(" or ", roles.stream().map(Role::label).toList());
        }
    }

    record Exactly(Identity identity) implements PeerRule {
        @Override
        public boolean admits(Identity peer) {
            return identity.equals(peer);
        }

        @Override
        public String describe() {
            return "the certificate of " + identity;
        }
    }
}

package io.shardkv.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Lets a call through only if the certificate the caller showed in the handshake has a role
 * the policy gives the method; the identity is then {@link Caller#current()} for the service.
 * A refusal is PERMISSION_DENIED saying which roles the method needs and what the caller is.
 */
public final class Authorizer implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger(Authorizer.class.getName());

    private final AccessPolicy policy;
    private final SecurityMetrics metrics;

    public Authorizer(AccessPolicy policy, SecurityMetrics metrics) {
        this.policy = policy;
        this.metrics = metrics;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                      ServerCallHandler<Q, A> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Identity caller;
        try {
            caller = callerOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        } catch (CertificateException e) {
            metrics.denied(SecurityMetrics.Denial.ROLE);
            call.close(Status.PERMISSION_DENIED.withDescription(method + " needs a client certificate: "
                    + e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        Set<Role> allowed = policy.rolesFor(method);
        if (!allowed.contains(caller.role())) {
            metrics.denied(SecurityMetrics.Denial.ROLE);
            String why = method + " needs a certificate with role "
                    + (allowed.isEmpty() ? "(none: no role may call it)"
                    : String.join(" or ", allowed.stream().map(Role::label).sorted().toList()))
                    + "; the caller's certificate names " + caller.name() + " with role " + caller.role();
            LOG.log(System.Logger.Level.DEBUG, "denied: " + why);
            call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        Context context = Context.current().withValue(Caller.KEY, caller);
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static Identity callerOf(SSLSession session) throws CertificateException {
        if (session == null) {
            throw new CertificateException("the connection is not TLS");
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw new CertificateException("none was shown", e);
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            throw new CertificateException("none was shown");
        }
        return Identity.of(leaf);
    }
}

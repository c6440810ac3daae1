package io.shardkv.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What an operator watches to see attacks, misconfiguration and rotations:
 * {@code security.handshakes.failed} (connections that ended before TLS completed: plaintext,
 * no certificate, a refused one), {@code security.certificates.refused{reason}},
 * {@code security.denied{reason}} (calls refused after the handshake),
 * {@code security.certificate.reloads{result}} and {@code security.certificate.expiry.seconds}.
 */
public final class SecurityMetrics {
    /** Why a certificate was refused in a handshake. */
    public enum CertificateRefusal {
        /** Not signed by the cluster CA, expired or not yet valid. */
        UNTRUSTED("untrusted"),
        /** Signed by the CA but its subject is not a ShardKV identity. */
        NOT_SHARDKV("not-shardkv"),
        /** A ShardKV certificate, but not of the server that was dialed. */
        WRONG_PEER("wrong-peer");

        final String tag;

        CertificateRefusal(String tag) {
            this.tag = tag;
        }
    }

    /** Why a call was refused after the handshake. */
    public enum Denial {
        /** The certificate's role may not call the method. */
        ROLE("role"),
        /** The certificate names another server than the one the request speaks for. */
        IDENTITY("identity"),
        /** A heartbeat would move a running server to another address. */
        ADDRESS("address");

        final String tag;

        Denial(String tag) {
            this.tag = tag;
        }
    }

    private final MeterRegistry registry;
    private final Counter handshakesFailed;
    private final Map<CertificateRefusal, Counter> refused = new EnumMap<>(CertificateRefusal.class);
    private final Map<Denial, Counter> denied = new EnumMap<>(Denial.class);
    private final Counter reloadsOk;
    private final Counter reloadsFailed;

    public SecurityMetrics(MeterRegistry registry) {
        this.registry = registry;
        handshakesFailed = Counter.builder("security.handshakes.failed")
                .description("connections that ended before their TLS handshake completed").register(registry);
        for (CertificateRefusal r : CertificateRefusal.values()) {
            refused.put(r, Counter.builder("security.certificates.refused").tag("reason", r.tag)
                    .description("certificates refused in TLS handshakes").register(registry));
        }
        for (Denial d : Denial.values()) {
            denied.put(d, Counter.builder("security.denied").tag("reason", d.tag)
                    .description("calls refused with PERMISSION_DENIED").register(registry));
        }
        reloadsOk = Counter.builder("security.certificate.reloads").tag("result", "ok").register(registry);
        reloadsFailed = Counter.builder("security.certificate.reloads").tag("result", "failed").register(registry);
    }

    /** Meters that count but are not exported: for clients and tools. */
    public static SecurityMetrics unexported() {
        return new SecurityMetrics(new SimpleMeterRegistry());
    }

    public void handshakeFailed() {
        handshakesFailed.increment();
    }

    public void certificateRefused(CertificateRefusal reason) {
        refused.get(reason).increment();
    }

    public void denied(Denial reason) {
        denied.get(reason).increment();
    }

    void reloaded(boolean ok) {
        (ok ? reloadsOk : reloadsFailed).increment();
    }

    void watchExpiry(Supplier<Instant> expiresAt) {
        Gauge.builder("security.certificate.expiry.seconds",
                        () -> expiresAt.get().getEpochSecond() - Instant.now().getEpochSecond())
                .description("seconds until this process's certificate expires").register(registry);
    }

    public double deniedCount(Denial reason) {
        return denied.get(reason).count();
    }

    public double refusedCount(CertificateRefusal reason) {
        return refused.get(reason).count();
    }

    public double handshakesFailedCount() {
        return handshakesFailed.count();
    }
}

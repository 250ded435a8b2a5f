package dev.istiod.xds.core.cluster;

import dev.istiod.xds.core.AcceptedContent;
import dev.istiod.xds.core.ProtoRules;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Envoy would reject in a cluster, checked before it is sent (one rejected cluster makes
 * Envoy reject the whole CDS update): Envoy's proto rules ({@link ProtoRules}) plus the rules
 * Envoy's cluster factories enforce in code, such as an original-destination cluster having no
 * endpoints of its own, a ring hash's minimum not above its maximum, or a Maglev table of prime
 * size.
 */
public final class ClusterValidator {
  /** Envoy's default {@code maximum_ring_size} (8M entries). */
  static final long DEFAULT_MAX_RING_SIZE = 8L * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ClusterValidator.class);

  private ClusterValidator() {}

  /**
   * True when Envoy would accept {@code c}; otherwise logs why (naming the proxy) and returns
   * false, so the caller leaves the cluster out instead of losing the whole update to a NACK.
   */
  public static boolean accept(String proxyId, Cluster c) {
    List<String> problems = problems(c);
    if (problems.isEmpty()) {
      return true;
    }
    log.error("{}: not sending cluster {}, Envoy would reject it: {}", proxyId, c.getName(), problems);
    return false;
  }

  /** Everything Envoy would object to; empty when the cluster is acceptable. */
  public static List<String> problems(Cluster c) {
    return AcceptedContent.problems(c, ClusterValidator::check);
  }

  private static List<String> check(Cluster c) {
    List<String> out = new ArrayList<>(ProtoRules.violations(c));
    if (c.hasClusterType()) {
      return out; // custom cluster types bring their own rules
    }
    switch (c.getType()) {
      case ORIGINAL_DST -> {
        if (c.getLbPolicy() != Cluster.LbPolicy.CLUSTER_PROVIDED) {
          out.add("ORIGINAL_DST clusters need lb_policy CLUSTER_PROVIDED, not " + c.getLbPolicy());
        }
        if (c.hasLoadAssignment()) {
          out.add("ORIGINAL_DST clusters must have no load assignment");
        }
      }
      case LOGICAL_DNS -> {
        ClusterLoadAssignment cla = c.getLoadAssignment();
        if (cla.getEndpointsCount() != 1 || cla.getEndpoints(0).getLbEndpointsCount() != 1) {
          out.add("LOGICAL_DNS clusters need exactly one locality with exactly one endpoint");
        }
      }
      case EDS -> {
        if (!c.hasEdsClusterConfig()) {
          out.add("EDS clusters need eds_cluster_config");
        }
      }
      default -> { }
    }
    if (c.getLbPolicy() == Cluster.LbPolicy.CLUSTER_PROVIDED && c.getType() != Cluster.DiscoveryType.ORIGINAL_DST) {
      out.add("lb_policy CLUSTER_PROVIDED is only valid for ORIGINAL_DST clusters, not " + c.getType());
    }
    if (c.hasRingHashLbConfig()) {
      Cluster.RingHashLbConfig r = c.getRingHashLbConfig();
      long min = r.hasMinimumRingSize() ? r.getMinimumRingSize().getValue() : 1024;
      long max = r.hasMaximumRingSize() ? r.getMaximumRingSize().getValue() : DEFAULT_MAX_RING_SIZE;
      if (Long.compareUnsigned(min, max) > 0) {
        out.add("ring hash minimum_ring_size " + Long.toUnsignedString(min) + " exceeds maximum_ring_size "
            + Long.toUnsignedString(max));
      }
    }
    if (c.hasMaglevLbConfig() && c.getMaglevLbConfig().hasTableSize()) {
      long size = c.getMaglevLbConfig().getTableSize().getValue();
      if (size <= 0 || !BigInteger.valueOf(size).isProbablePrime(30)) {
        out.add("Maglev table_size " + Long.toUnsignedString(size) + " must be a prime number");
      }
    }
    upstreamTls(c).ifPresent(tls -> checkTls(tls, out));
    return out;
  }

  private static java.util.Optional<UpstreamTlsContext> upstreamTls(Cluster c) {
    if (!c.hasTransportSocket() || !c.getTransportSocket().getTypedConfig().is(UpstreamTlsContext.class)) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class));
    } catch (InvalidProtocolBufferException e) {
      return java.util.Optional.empty(); // ProtoRules already reported it
    }
  }

  /** Envoy refuses to match SANs without a CA it was given (its built-in system roots do not count). */
  private static void checkTls(UpstreamTlsContext tls, List<String> out) {
    CertificateValidationContext v = tls.getCommonTlsContext().getValidationContext();
    boolean sanMatch = v.getMatchSubjectAltNamesCount() > 0 || v.getMatchTypedSubjectAltNamesCount() > 0;
    if (sanMatch && !v.hasTrustedCa() && !tls.getCommonTlsContext().hasValidationContextSdsSecretConfig()
        && !tls.getCommonTlsContext().hasCombinedValidationContext()) {
      out.add("upstream TLS matches subject alt names without a trusted CA");
    }
    for (var cert : tls.getCommonTlsContext().getTlsCertificatesList()) {
      if (!cert.hasCertificateChain() || !cert.hasPrivateKey()) {
        out.add("upstream TLS client certificate needs both a certificate chain and a private key");
      }
    }
  }
}

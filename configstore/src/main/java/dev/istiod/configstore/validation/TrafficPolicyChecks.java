package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.ClientTLSSettings;
import dev.istiod.api.networking.v1alpha3.ConnectionPoolSettings;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.OutlierDetection;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.api.networking.v1alpha3.WarmupConfiguration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/** DestinationRule traffic policies: load balancer, connection pool, outlier detection, TLS. */
final class TrafficPolicyChecks {
  private TrafficPolicyChecks() {}

  static void policy(Issues issues, String namespace, TrafficPolicy p) {
    boolean empty = !p.hasOutlierDetection() && !p.hasConnectionPool() && !p.hasLoadBalancer()
        && !p.hasTls() && p.getPortLevelSettingsCount() == 0 && !p.hasTunnel() && !p.hasProxyProtocol()
        && !p.hasRetryBudget();
    if (empty) {
      issues.error("traffic policy must have at least one field");
      return;
    }
    if (p.hasTunnel() && p.hasProxyProtocol()) {
      issues.error("tunnel and proxyProtocol must not be set together");
      return;
    }
    if (p.hasOutlierDetection()) {
      outlierDetection(issues, p.getOutlierDetection());
    }
    if (p.hasConnectionPool()) {
      connectionPool(issues, p.getConnectionPool());
    }
    if (p.hasLoadBalancer()) {
      loadBalancer(issues, p.getLoadBalancer(), p.hasOutlierDetection());
    }
    if (p.hasTls()) {
      clientTls(issues, namespace, p.getTls());
    }
    for (TrafficPolicy.PortTrafficPolicy pl : p.getPortLevelSettingsList()) {
      if (!pl.hasPort()) {
        issues.error("portTrafficPolicy must have valid port");
      }
      if (!pl.hasOutlierDetection() && !pl.hasConnectionPool() && !pl.hasLoadBalancer() && !pl.hasTls()) {
        issues.error("port traffic policy must have at least one field");
        continue;
      }
      if (pl.hasOutlierDetection()) {
        outlierDetection(issues, pl.getOutlierDetection());
      }
      if (pl.hasConnectionPool()) {
        connectionPool(issues, pl.getConnectionPool());
      }
      if (pl.hasLoadBalancer()) {
        loadBalancer(issues, pl.getLoadBalancer(), pl.hasOutlierDetection());
      }
      if (pl.hasTls()) {
        clientTls(issues, namespace, pl.getTls());
      }
    }
    if (p.hasTunnel()) {
      tunnel(issues, p.getTunnel());
    }
  }

  private static void tunnel(Issues issues, TrafficPolicy.TunnelSettings t) {
    if (!t.getProtocol().isEmpty() && !t.getProtocol().equals("CONNECT") && !t.getProtocol().equals("POST")) {
      issues.error("tunnel protocol must be \"CONNECT\" or \"POST\"");
    }
    Optional<String> fqdn = HostNames.fqdn(t.getTargetHost());
    Optional<String> ip = Addresses.ipAddress(t.getTargetHost());
    if (fqdn.isPresent() && ip.isPresent()) {
      issues.error("tunnel target host must be valid FQDN or IP address: " + fqdn.get() + "; " + ip.get());
    }
    Common.port(Integer.toUnsignedLong(t.getTargetPort()))
        .ifPresent(e -> issues.error("tunnel target port is invalid: " + e));
  }

  static void outlierDetection(Issues issues, OutlierDetection o) {
    if (o.hasBaseEjectionTime()) {
      issues.error(Common.duration(o.getBaseEjectionTime()));
    }
    if (o.getConsecutiveErrors() != 0) {
      issues.warn("outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors "
          + "or consecutive5xxErrors instead");
    }
    if (!o.getSplitExternalLocalOriginErrors() && o.getConsecutiveLocalOriginFailures().getValue() != 0) {
      issues.error("outlier detection consecutive local origin failures is specified, but split external "
          + "local origin errors is set to false");
    }
    if (o.hasInterval()) {
      issues.error(Common.duration(o.getInterval()));
    }
    issues.error(Common.percent(o.getMaxEjectionPercent()));
    issues.error(Common.percent(o.getMinHealthPercent()));
  }

  static void connectionPool(Issues issues, ConnectionPoolSettings s) {
    if (!s.hasHttp() && !s.hasTcp()) {
      issues.error("connection pool must have at least one field");
      return;
    }
    if (s.hasHttp()) {
      ConnectionPoolSettings.HTTPSettings h = s.getHttp();
      nonNegative(issues, h.getHttp1MaxPendingRequests(), "http1 max pending requests");
      nonNegative(issues, h.getHttp2MaxRequests(), "http2 max requests");
      nonNegative(issues, h.getMaxRequestsPerConnection(), "max requests per connection");
      nonNegative(issues, h.getMaxRetries(), "max retries");
      if (h.hasIdleTimeout()) {
        issues.error(Common.duration(h.getIdleTimeout()));
      }
      if (h.getH2UpgradePolicy() == ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.UPGRADE
          && h.getUseClientProtocol()) {
        issues.error("use client protocol must not be true when H2UpgradePolicy is UPGRADE");
      }
      nonNegative(issues, h.getMaxConcurrentStreams(), "max concurrent streams");
      if (h.hasHttp2KeepAlive()) {
        var ka = h.getHttp2KeepAlive();
        if (!ka.hasInterval()) {
          issues.error("http2 keepalive interval is required");
        } else {
          issues.error(Common.duration(ka.getInterval()));
        }
        if (!ka.hasTimeout()) {
          issues.error("http2 keepalive timeout is required");
        } else {
          issues.error(Common.duration(ka.getTimeout()));
        }
      }
    }
    if (s.hasTcp()) {
      ConnectionPoolSettings.TCPSettings t = s.getTcp();
      nonNegative(issues, t.getMaxConnections(), "max connections");
      if (t.hasConnectTimeout()) {
        issues.error(Common.duration(t.getConnectTimeout()));
      }
      if (t.hasMaxConnectionDuration()) {
        issues.error(Common.duration(t.getMaxConnectionDuration()));
      }
      // "0s" disables the idle timeout altogether, so it is allowed.
      if (t.hasIdleTimeout() && (t.getIdleTimeout().getSeconds() != 0 || t.getIdleTimeout().getNanos() >= 1_000_000)) {
        issues.error(Common.duration(t.getIdleTimeout()));
      }
      if (t.hasTcpKeepalive()) {
        if (t.getTcpKeepalive().hasTime()) {
          issues.error(Common.duration(t.getTcpKeepalive().getTime()));
        }
        if (t.getTcpKeepalive().hasInterval()) {
          issues.error(Common.duration(t.getTcpKeepalive().getInterval()));
        }
      }
    }
  }

  private static void nonNegative(Issues issues, int value, String what) {
    if (value < 0) {
      issues.error(what + " must be non-negative");
    }
  }

  static void loadBalancer(Issues issues, LoadBalancerSettings lb, boolean hasOutlier) {
    if (lb.hasConsistentHash()) {
      var ch = lb.getConsistentHash();
      if (ch.hasHttpCookie()) {
        var cookie = ch.getHttpCookie();
        if (cookie.getName().isEmpty()) {
          issues.error("name required for HttpCookie");
        }
        Set<String> names = new HashSet<>();
        for (var attr : cookie.getAttributesList()) {
          if (attr.getName().isEmpty()) {
            issues.error("cookie attribute name cannot be empty");
          } else if (!names.add(attr.getName())) {
            issues.error("duplicate cookie attribute name: " + attr.getName());
          }
        }
      }
      if (ch.getMinimumRingSize() != 0) {
        issues.warn("consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
        if (ch.getHashAlgorithmCase() != LoadBalancerSettings.ConsistentHashLB.HashAlgorithmCase.HASHALGORITHM_NOT_SET) {
          issues.error("only one of MinimumRingSize or Maglev/Ringhash can be specified");
        }
      }
      if (ch.hasMaglev()) {
        long size = ch.getMaglev().getTableSize();
        if (size == 0) {
          issues.error("tableSize must be set for maglev");
        }
        if (Long.compareUnsigned(size, 5000011) >= 0) {
          issues.error("tableSize must be less than 5000011 for maglev");
        }
        if (!isPrime(size)) {
          issues.error("tableSize must be a prime number for maglev");
        }
      }
    }
    if (lb.hasLocalityLbSetting() && lb.hasZoneAwareLbSetting()) {
      issues.error("only one of localityLbSetting and zoneAwareLbSetting can be set");
    }
    if (lb.hasLocalityLbSetting()) {
      LocalityChecks.localityLb(issues, lb.getLocalityLbSetting(), hasOutlier);
    }
    if (lb.hasZoneAwareLbSetting()) {
      LocalityChecks.zoneAwareLb(issues, lb.getZoneAwareLbSetting(), hasOutlier);
    }
    if (lb.hasWarmup()) {
      WarmupConfiguration w = lb.getWarmup();
      if (!w.hasDuration()) {
        issues.error("duration is required");
      } else {
        issues.error(Common.duration(w.getDuration()));
      }
      if (w.getMinimumPercent().getValue() > 100) {
        issues.error("minimumPercent value should be less than or equal to 100");
      }
      if (w.hasAggression() && w.getAggression().getValue() <= 0) {
        issues.error("aggression should be greater than 0");
      }
    }
  }

  /** Envoy's own primality test for Maglev table sizes (2 and 3 are prime, evens are not). */
  private static boolean isPrime(long x) {
    if (x > 0 && x < 4) {
      return true;
    }
    if (x <= 0 || (x & 1) == 0) {
      return false; // zero, even, or beyond 2^63 (already rejected as too large)
    }
    long limit = (long) Math.sqrt((double) x);
    for (long f = 3; f <= limit; f += 2) {
      if (x % f == 0) {
        return false;
      }
    }
    return true;
  }

  static void clientTls(Issues issues, String namespace, ClientTLSSettings s) {
    String cm = "configmap://";
    if (s.getCredentialName().startsWith(cm)) {
      String rest = s.getCredentialName().substring(cm.length());
      String[] parts = rest.split("/", -1);
      String ns = parts.length == 2 ? parts[0] : namespace;
      if (parts.length > 2 || rest.isEmpty() || parts[parts.length - 1].isEmpty()) {
        issues.error("invalid configmap:// credentialName: invalid resource name " + Issues.q(s.getCredentialName()));
      } else if (!ns.equals(namespace) || namespace.isEmpty()) {
        issues.error("invalid configmap:// credentialName: namespace must match the configuration namespace "
            + Issues.q(namespace));
      }
    }
    boolean simple = s.getMode() == ClientTLSSettings.TLSmode.SIMPLE;
    boolean mutual = s.getMode() == ClientTLSSettings.TLSmode.MUTUAL;
    if (s.getInsecureSkipVerify().getValue()) {
      if (simple && (!s.getCaCertificates().isEmpty() || !s.getCredentialName().isEmpty()
          || s.getSubjectAltNamesCount() > 0)) {
        issues.error("cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
      }
      if (mutual && (!s.getCaCertificates().isEmpty() || s.getSubjectAltNamesCount() > 0)) {
        issues.error("cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
      }
    }
    if ((simple || mutual) && !s.getCredentialName().isEmpty()) {
      // Credentials come from the named secret; inline file paths would be ignored.
      if (!s.getClientCertificate().isEmpty() || !s.getCaCertificates().isEmpty()
          || !s.getPrivateKey().isEmpty() || !s.getCaCrl().isEmpty()) {
        issues.error("cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
      }
      return;
    }
    if (mutual) {
      if (s.getClientCertificate().isEmpty()) {
        issues.error("client certificate required for mutual tls");
      }
      if (s.getPrivateKey().isEmpty()) {
        issues.error("private key required for mutual tls");
      }
    }
  }
}

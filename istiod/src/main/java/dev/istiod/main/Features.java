package dev.istiod.main;

import dev.istiod.model.GoDuration;
import java.time.Duration;
import java.util.Map;

/**
 * Environment knobs, with upstream istiod's names and defaults (pilot/pkg/features). The one
 * place that reads them; everything else receives this record.
 *
 * @param debounceAfter PILOT_DEBOUNCE_AFTER: quiet period before a push (100ms)
 * @param debounceMax PILOT_DEBOUNCE_MAX: longest a push is delayed by debouncing (10s)
 * @param enableEdsDebounce PILOT_ENABLE_EDS_DEBOUNCE: endpoint-only changes are debounced too (true)
 * @param pushThrottle PILOT_PUSH_THROTTLE: concurrent proxy pushes; 0 means min(15 + 5 × cores, 100)
 * @param maxConcurrentStreams ISTIO_GPRC_MAXSTREAMS (100000)
 * @param maxRecvMsgSize ISTIO_GPRC_MAXRECVMSGSIZE in bytes (4 MiB)
 * @param keepaliveInterval GRPC_KEEPALIVE_INTERVAL (30s)
 * @param keepaliveTimeout GRPC_KEEPALIVE_TIMEOUT (10s)
 * @param podName POD_NAME, the instance id in debug output
 * @param podNamespace POD_NAMESPACE, istiod's own namespace (istio-system)
 * @param revision REVISION (default)
 * @param enableDebugOnHttp ENABLE_DEBUG_ON_HTTP: serve /debug on the HTTP port (true)
 * @param enableDebugEndpointAuth ENABLE_DEBUG_ENDPOINT_AUTH: debug types over xDS only for authenticated callers,
 *     all proxies for the system namespace, own namespace otherwise (true)
 * @param debugEndpointAuthAllowedNamespaces DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES: comma-separated namespaces
 *     treated like the system namespace
 * @param pilotCertProvider PILOT_CERT_PROVIDER: who issues istiod's serving certificate (istiod)
 * @param enableCaServer ENABLE_CA_SERVER: serve IstioCertificateService on 15012 (true)
 * @param ca the CA's knobs (CITADEL_*, *_WORKLOAD_CERT_TTL, TOKEN_AUDIENCES, ROOT_CA_DIR, ...)
 * @param istiodCustomHost ISTIOD_CUSTOM_HOST: extra DNS names for istiod's serving certificate
 * @param injectEnabled INJECT_ENABLED: serve the sidecar injector on the webhook port (true)
 * @param enableNativeSidecars ENABLE_NATIVE_SIDECARS: true, false or auto (auto)
 * @param compliancePolicy COMPLIANCE_POLICY ("" for none)
 * @param leaderElection ENABLE_LEADER_ELECTION and the lease duration of the singleton controllers
 * @param enableXdsCache PILOT_ENABLE_XDS_CACHE: share generated clusters, endpoints and routes across proxies (true)
 * @param xdsCacheSize PILOT_XDS_CACHE_SIZE: most entries the xDS cache keeps per generation (60000)
 * @param requestRateLimit PILOT_MAX_REQUESTS_PER_SECOND: new xDS streams admitted per second; 0 means
 *     min(15 + 5 × cores, 100), as upstream
 */
record Features(
    Duration debounceAfter,
    Duration debounceMax,
    boolean enableEdsDebounce,
    int pushThrottle,
    int maxConcurrentStreams,
    int maxRecvMsgSize,
    Duration keepaliveInterval,
    Duration keepaliveTimeout,
    String podName,
    String podNamespace,
    String revision,
    boolean enableDebugOnHttp,
    boolean enableDebugEndpointAuth,
    java.util.Set<String> debugEndpointAuthAllowedNamespaces,
    String pilotCertProvider,
    boolean enableCaServer,
    CaKnobs ca,
    String istiodCustomHost,
    boolean injectEnabled,
    String enableNativeSidecars,
    String compliancePolicy,
    LeaderElectionKnobs leaderElection,
    boolean enableXdsCache,
    int xdsCacheSize,
    double requestRateLimit) {

  /**
   * @param enabled ENABLE_LEADER_ELECTION: elect one replica for the singleton controllers (true);
   *     false assumes a single istiod and runs them directly
   * @param ttl ISTIOD_LEADER_ELECTION_TTL, not upstream's (which fixes 30s): the Lease duration;
   *     renew deadline and retry period are half and a quarter of it
   * @param identity the Lease holder identity: POD_NAME, else (like upstream) "unknown-" and the
   *     host name, here with the process id too, so two local replicas never share one
   */
  record LeaderElectionKnobs(boolean enabled, Duration ttl, String identity) {}

  private static String electionIdentity(Map<String, String> env) {
    String podName = env.get("POD_NAME");
    if (podName != null && !podName.isBlank()) {
      return podName;
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    return "unknown-" + host + "-" + ProcessHandle.current().pid();
  }

  /** The CA's environment knobs, with upstream's names and defaults. */
  record CaKnobs(
      Duration selfSignedCaCertTtl,
      Duration defaultWorkloadCertTtl,
      Duration maxWorkloadCertTtl,
      Duration rootCertCheckInterval,
      int rootCertGracePercentile,
      boolean rotatorJitter,
      int rsaKeySize,
      java.util.List<String> tokenAudiences,
      String trustedNodeAccounts,
      String rootCaDir,
      String rootCertConfigMap,
      String localCaDir) {}

  static Features fromEnvironment(Map<String, String> env) {
    Reader r = new Reader(env);
    int throttle = r.integer("PILOT_PUSH_THROTTLE", 0);
    if (throttle <= 0) {
      throttle = Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100);
    }
    return new Features(
        r.duration("PILOT_DEBOUNCE_AFTER", Duration.ofMillis(100)),
        r.duration("PILOT_DEBOUNCE_MAX", Duration.ofSeconds(10)),
        r.bool("PILOT_ENABLE_EDS_DEBOUNCE", true),
        throttle,
        r.integer("ISTIO_GPRC_MAXSTREAMS", 100000),
        r.integer("ISTIO_GPRC_MAXRECVMSGSIZE", 4 * 1024 * 1024),
        r.duration("GRPC_KEEPALIVE_INTERVAL", Duration.ofSeconds(30)),
        r.duration("GRPC_KEEPALIVE_TIMEOUT", Duration.ofSeconds(10)),
        r.string("POD_NAME", "istiod"),
        r.string("POD_NAMESPACE", "istio-system"),
        r.string("REVISION", "default"),
        r.bool("ENABLE_DEBUG_ON_HTTP", true),
        r.bool("ENABLE_DEBUG_ENDPOINT_AUTH", true),
        java.util.Arrays.stream(r.string("DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES", "").split(","))
            .map(String::trim).filter(n -> !n.isEmpty()).collect(java.util.stream.Collectors.toUnmodifiableSet()),
        r.string("PILOT_CERT_PROVIDER", "istiod"),
        r.bool("ENABLE_CA_SERVER", true),
        new CaKnobs(
            r.duration("CITADEL_SELF_SIGNED_CA_CERT_TTL", Duration.ofDays(3650)),
            r.duration("DEFAULT_WORKLOAD_CERT_TTL", Duration.ofHours(24)),
            r.duration("MAX_WORKLOAD_CERT_TTL", Duration.ofDays(90)),
            r.duration("CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", Duration.ofHours(1)),
            r.integer("CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE", 20),
            r.bool("CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", true),
            r.integer("CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE", 2048),
            java.util.Arrays.stream(r.string("TOKEN_AUDIENCES", "istio-ca").split(","))
                .map(String::trim).filter(a -> !a.isEmpty()).toList(),
            r.string("CA_TRUSTED_NODE_ACCOUNTS", ""),
            r.string("ROOT_CA_DIR", "./etc/cacerts"),
            r.string("PILOT_CA_CERT_CONFIGMAP", "istio-ca-root-cert"),
            // Not upstream's: without a cluster there is no Secret to keep the self-signed root
            // in, so it is kept in this directory (upstream keeps it in memory only).
            r.string("ISTIOD_LOCAL_CA_DIR", System.getProperty("user.home") + "/.cache/istiod-java/ca")),
        r.string("ISTIOD_CUSTOM_HOST", ""),
        r.bool("INJECT_ENABLED", true),
        r.string("ENABLE_NATIVE_SIDECARS", "auto"),
        r.string("COMPLIANCE_POLICY", ""),
        new LeaderElectionKnobs(r.bool("ENABLE_LEADER_ELECTION", true),
            r.duration("ISTIOD_LEADER_ELECTION_TTL", Duration.ofSeconds(30)), electionIdentity(env)),
        r.bool("PILOT_ENABLE_XDS_CACHE", true),
        positive(r.integer("PILOT_XDS_CACHE_SIZE", 60000), "PILOT_XDS_CACHE_SIZE"),
        r.decimal("PILOT_MAX_REQUESTS_PER_SECOND", 0));
  }

  private static int positive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be a positive number, got " + value);
    }
    return value;
  }

  /** Reads typed values, failing with the variable's name on bad input. */
  private record Reader(Map<String, String> env) {
    String string(String name, String def) {
      String v = env.get(name);
      return v == null || v.isEmpty() ? def : v;
    }

    Duration duration(String name, Duration def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        return GoDuration.parse(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid value for " + name + ": " + e.getMessage(), e);
      }
    }

    boolean bool(String name, boolean def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      return switch (v.toLowerCase(java.util.Locale.ROOT)) {
        case "1", "t", "true" -> true;
        case "0", "f", "false" -> false;
        default -> throw new IllegalArgumentException("invalid value for " + name + ": \"" + v + "\" is not a boolean");
      };
    }

    double decimal(String name, double def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        double d = Double.parseDouble(v.trim());
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          throw new NumberFormatException(v);
        }
        return d;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid value for " + name + ": \"" + v + "\" is not a number", e);
      }
    }

    int integer(String name, int def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid value for " + name + ": \"" + v + "\" is not an integer", e);
      }
    }
  }
}

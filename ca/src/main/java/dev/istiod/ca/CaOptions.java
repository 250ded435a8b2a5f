package dev.istiod.ca;

import dev.istiod.ca.pki.KeyType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The CA's settings, with upstream's environment names and defaults (pilot/pkg/bootstrap/istio_ca.go,
 * security/pkg/cmd/constants.go, pilot/pkg/features/security.go). istiod reads the environment;
 * this record only carries the values.
 *
 * @param namespace {@code POD_NAMESPACE}: where {@code istio-ca-secret} lives (istio-system)
 * @param clusterId {@code CLUSTER_ID}: the local cluster's id for the {@code ClusterID} header (Kubernetes)
 * @param defaultWorkloadCertTtl {@code DEFAULT_WORKLOAD_CERT_TTL} (24h)
 * @param maxWorkloadCertTtl {@code MAX_WORKLOAD_CERT_TTL} (90 days)
 * @param selfSignedCaCertTtl {@code CITADEL_SELF_SIGNED_CA_CERT_TTL} (3650 days); also the TTL of
 *     istiod's serving certificate
 * @param rootCertCheckInterval {@code CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL} (1h; zero or
 *     negative disables rotation)
 * @param rootCertGracePercentile {@code CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE} (20)
 * @param rotatorJitter {@code CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR} (true): the first check
 *     waits a random part of the interval, so replicas do not check together
 * @param rsaKeySize {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE} (2048)
 * @param selfSignedKeyType RSA (upstream) or EC P-256 for a new self-signed root
 * @param rootCaDir {@code ROOT_CA_DIR} (./etc/cacerts): the plugged CA, if any
 * @param localRootDir where the self-signed root persists when istiod runs without a cluster
 * @param tokenAudiences {@code TOKEN_AUDIENCES} (istio-ca)
 * @param trustedNodeAccounts {@code CA_TRUSTED_NODE_ACCOUNTS} as "ns/sa" entries (none)
 * @param rootCertConfigMap {@code PILOT_CA_CERT_CONFIGMAP} (istio-ca-root-cert)
 * @param pluggedCaPollInterval how often the plugged CA files are compared (5s)
 * @param storeRetryFor how long start-up retries an unreachable root store (20 min, as upstream)
 */
public record CaOptions(
    String namespace,
    String clusterId,
    Duration defaultWorkloadCertTtl,
    Duration maxWorkloadCertTtl,
    Duration selfSignedCaCertTtl,
    Duration rootCertCheckInterval,
    int rootCertGracePercentile,
    boolean rotatorJitter,
    int rsaKeySize,
    KeyType selfSignedKeyType,
    Path rootCaDir,
    Path localRootDir,
    List<String> tokenAudiences,
    Set<String> trustedNodeAccounts,
    String rootCertConfigMap,
    Duration pluggedCaPollInterval,
    Duration storeRetryFor) {

  public CaOptions {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(clusterId, "clusterId");
    requirePositive(defaultWorkloadCertTtl, "DEFAULT_WORKLOAD_CERT_TTL");
    requirePositive(maxWorkloadCertTtl, "MAX_WORKLOAD_CERT_TTL");
    requirePositive(selfSignedCaCertTtl, "CITADEL_SELF_SIGNED_CA_CERT_TTL");
    Objects.requireNonNull(rootCertCheckInterval, "rootCertCheckInterval");
    if (rootCertGracePercentile <= 0 || rootCertGracePercentile >= 100) {
      throw new IllegalArgumentException("CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE must be within 1..99");
    }
    if (rsaKeySize < KeyType.MIN_RSA_BITS) {
      throw new IllegalArgumentException("CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE must be at least " + KeyType.MIN_RSA_BITS);
    }
    Objects.requireNonNull(selfSignedKeyType, "selfSignedKeyType");
    Objects.requireNonNull(rootCaDir, "rootCaDir");
    Objects.requireNonNull(localRootDir, "localRootDir");
    tokenAudiences = List.copyOf(tokenAudiences);
    trustedNodeAccounts = Set.copyOf(trustedNodeAccounts);
    Objects.requireNonNull(rootCertConfigMap, "rootCertConfigMap");
    requirePositive(pluggedCaPollInterval, "pluggedCaPollInterval");
    Objects.requireNonNull(storeRetryFor, "storeRetryFor");
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }

  /** Upstream's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.namespace = namespace;
    b.clusterId = clusterId;
    b.defaultWorkloadCertTtl = defaultWorkloadCertTtl;
    b.maxWorkloadCertTtl = maxWorkloadCertTtl;
    b.selfSignedCaCertTtl = selfSignedCaCertTtl;
    b.rootCertCheckInterval = rootCertCheckInterval;
    b.rootCertGracePercentile = rootCertGracePercentile;
    b.rotatorJitter = rotatorJitter;
    b.rsaKeySize = rsaKeySize;
    b.selfSignedKeyType = selfSignedKeyType;
    b.rootCaDir = rootCaDir;
    b.localRootDir = localRootDir;
    b.tokenAudiences = tokenAudiences;
    b.trustedNodeAccounts = trustedNodeAccounts;
    b.rootCertConfigMap = rootCertConfigMap;
    b.pluggedCaPollInterval = pluggedCaPollInterval;
    b.storeRetryFor = storeRetryFor;
    return b;
  }

  /** Builds {@link CaOptions}; starts from upstream's defaults. */
  public static final class Builder {
    private String namespace = "istio-system";
    private String clusterId = "Kubernetes";
    private Duration defaultWorkloadCertTtl = Duration.ofHours(24);
    private Duration maxWorkloadCertTtl = Duration.ofDays(90);
    private Duration selfSignedCaCertTtl = Duration.ofDays(3650);
    private Duration rootCertCheckInterval = Duration.ofHours(1);
    private int rootCertGracePercentile = 20;
    private boolean rotatorJitter = true;
    private int rsaKeySize = 2048;
    private KeyType selfSignedKeyType = KeyType.RSA;
    private Path rootCaDir = Path.of("./etc/cacerts");
    private Path localRootDir = Path.of("./var/lib/istiod/ca");
    private List<String> tokenAudiences = List.of("istio-ca");
    private Set<String> trustedNodeAccounts = Set.of();
    private String rootCertConfigMap = "istio-ca-root-cert";
    private Duration pluggedCaPollInterval = Duration.ofSeconds(5);
    private Duration storeRetryFor = Duration.ofMinutes(20);

    private Builder() {}

    public Builder namespace(String v) { namespace = v; return this; }
    public Builder clusterId(String v) { clusterId = v; return this; }
    public Builder defaultWorkloadCertTtl(Duration v) { defaultWorkloadCertTtl = v; return this; }
    public Builder maxWorkloadCertTtl(Duration v) { maxWorkloadCertTtl = v; return this; }
    public Builder selfSignedCaCertTtl(Duration v) { selfSignedCaCertTtl = v; return this; }
    public Builder rootCertCheckInterval(Duration v) { rootCertCheckInterval = v; return this; }
    public Builder rootCertGracePercentile(int v) { rootCertGracePercentile = v; return this; }
    public Builder rotatorJitter(boolean v) { rotatorJitter = v; return this; }
    public Builder rsaKeySize(int v) { rsaKeySize = v; return this; }
    public Builder selfSignedKeyType(KeyType v) { selfSignedKeyType = v; return this; }
    public Builder rootCaDir(Path v) { rootCaDir = v; return this; }
    public Builder localRootDir(Path v) { localRootDir = v; return this; }
    public Builder tokenAudiences(List<String> v) { tokenAudiences = v; return this; }
    public Builder trustedNodeAccounts(Set<String> v) { trustedNodeAccounts = v; return this; }
    public Builder rootCertConfigMap(String v) { rootCertConfigMap = v; return this; }
    public Builder pluggedCaPollInterval(Duration v) { pluggedCaPollInterval = v; return this; }
    public Builder storeRetryFor(Duration v) { storeRetryFor = v; return this; }

    public CaOptions build() {
      return new CaOptions(namespace, clusterId, defaultWorkloadCertTtl, maxWorkloadCertTtl, selfSignedCaCertTtl,
          rootCertCheckInterval, rootCertGracePercentile, rotatorJitter, rsaKeySize, selfSignedKeyType, rootCaDir,
          localRootDir, tokenAudiences, trustedNodeAccounts, rootCertConfigMap, pluggedCaPollInterval, storeRetryFor);
    }
  }
}

package dev.istiod.model;

import java.util.Objects;
import java.util.Optional;

/**
 * The identity an ADS caller proved (client certificate or Kubernetes token on 15012) and that
 * matched the proxy it connected as (upstream's {@code proxy.VerifiedIdentity}). Secrets are
 * served over SDS only to a proxy that has one, and only from its namespace.
 */
public record VerifiedIdentity(String trustDomain, String namespace, String serviceAccount) {
  private static final String SCHEME = "spiffe://";

  public VerifiedIdentity {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
  }

  /** {@code spiffe://<td>/ns/<ns>/sa/<sa>}; empty for any other form. */
  public static Optional<VerifiedIdentity> parse(String spiffeId) {
    if (spiffeId == null || !spiffeId.startsWith(SCHEME)) {
      return Optional.empty();
    }
    String[] parts = spiffeId.substring(SCHEME.length()).split("/", -1);
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")
        || parts[0].isEmpty() || parts[2].isEmpty() || parts[4].isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new VerifiedIdentity(parts[0], parts[2], parts[4]));
  }

  @Override
  public String toString() {
    return SCHEME + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}

package dev.istiod.ca.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An authenticated caller: its identities (SPIFFE ids, or whatever SANs its client certificate
 * carries) and, when a TokenReview vouched for it, the Kubernetes facts behind them.
 */
public record Caller(AuthSource source, List<String> identities, Optional<KubernetesInfo> kubernetes) {
  public Caller {
    Objects.requireNonNull(source, "source");
    identities = List.copyOf(identities);
    Objects.requireNonNull(kubernetes, "kubernetes");
    if (identities.isEmpty()) {
      throw new IllegalArgumentException("an authenticated caller has at least one identity");
    }
  }

  public static Caller ofCertificate(List<String> identities) {
    return new Caller(AuthSource.CLIENT_CERTIFICATE, identities, Optional.empty());
  }

  public static Caller ofToken(SpiffeId id, KubernetesInfo info) {
    return new Caller(AuthSource.ID_TOKEN, List.of(id.toString()), Optional.of(info));
  }

  /** The identities that are SPIFFE workload ids. */
  public List<SpiffeId> spiffeIds() {
    List<SpiffeId> out = new ArrayList<>();
    for (String id : identities) {
      SpiffeId.parse(id).ifPresent(out::add);
    }
    return out;
  }
}

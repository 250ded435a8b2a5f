package dev.istiod.xds.core.security.authz;

import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.xds.core.ProxyInputs;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The JWT issuers of the RequestAuthentications that apply to a workload: jwt_authn stores each
 * issuer's verified payload in dynamic metadata under the issuer, so request principals and claims
 * are matched per issuer. Applies as upstream: root namespace mesh-wide, a namespace's policies to
 * its workloads, a selector narrowing to matching labels, targetRef policies to none here.
 *
 * @param issuers sorted, distinct
 */
record JwtIssuers(List<String> issuers) {
  static final JwtIssuers NONE = new JwtIssuers(List.of());

  /** An {@code iss/sub} request principal split at the issuer. */
  record Split(String issuer, String subject) {}

  JwtIssuers {
    issuers = List.copyOf(new TreeSet<>(issuers));
  }

  /** The issuers of the workload's JWT rules, from the push's RequestAuthentication index (as jwt_authn). */
  static JwtIssuers of(ProxyInputs in) {
    return new JwtIssuers(in.push().requestAuthentications()
        .jwtRules(in.proxy().configNamespace(), in.proxy().labels()).stream()
        .map(JWTRule::getIssuer).filter(i -> !i.isEmpty()).toList());
  }

  /**
   * Splits {@code iss/sub}: at the end of the longest known issuer it starts with (issuers are
   * often URLs with slashes of their own), else at the last slash.
   */
  Optional<Split> split(String principal) {
    Optional<String> known = issuers.stream().filter(i -> principal.startsWith(i + "/"))
        .max(Comparator.comparingInt(String::length));
    if (known.isPresent()) {
      return Optional.of(new Split(known.get(), principal.substring(known.get().length() + 1)));
    }
    int slash = principal.lastIndexOf('/');
    if (slash <= 0 || slash == principal.length() - 1 || principal.startsWith("*")) {
      return Optional.empty();
    }
    return Optional.of(new Split(principal.substring(0, slash), principal.substring(slash + 1)));
  }
}

package dev.istiod.xds.core.security.authz;

import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.model.Config;
import dev.istiod.model.Kind;
import dev.istiod.xds.core.ProxyInputs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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

  /*
   * Reads the store of the push's environment: the RequestAuthentication index belongs to the
   * jwt_authn feature, built beside this one; once it is in the PushContext this should read it.
   */
  static JwtIssuers of(ProxyInputs in) {
    String root = in.mesh().getRootNamespace();
    String ns = in.proxy().configNamespace();
    Map<String, String> labels = in.proxy().labels();
    List<String> out = new ArrayList<>();
    for (Config c : in.push().environment().configStore().list(Kind.REQUEST_AUTHENTICATION)) {
      if (!c.namespace().equals(root) && !c.namespace().equals(ns)) {
        continue;
      }
      RequestAuthentication ra = c.spec(RequestAuthentication.class);
      if (ra.hasTargetRef() || ra.getTargetRefsCount() > 0
          || !labels.entrySet().containsAll(ra.getSelector().getMatchLabelsMap().entrySet())) {
        continue;
      }
      ra.getJwtRulesList().stream().map(JWTRule::getIssuer).filter(i -> !i.isEmpty()).forEach(out::add);
    }
    return new JwtIssuers(out);
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

package dev.istiod.xds.core.security.authz;

import dev.istiod.api.security.v1beta1.Condition;
import dev.istiod.api.security.v1beta1.Operation;
import dev.istiod.api.security.v1beta1.Rule;
import dev.istiod.api.security.v1beta1.Source;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One AuthorizationPolicy rule as one RBAC policy, with upstream's shape: a permission per
 * {@code to} (Envoy ORs them), a principal per {@code from}, each an AND of its fields, each field an
 * OR of its values (its {@code not} values negated); {@code when} conditions join every permission
 * or every principal, as their key belongs to the destination or the source.
 *
 * <p>Fail closed. On a TCP chain an HTTP-only field (hosts, methods, paths, request principals,
 * request headers and claims) cannot be evaluated: an ALLOW rule with one never matches, a DENY
 * (or AUDIT) rule is kept without it, so it matches more rather than less. A value this istiod
 * cannot translate is treated the same way.
 */
final class RuleTranslator {
  /** A field's matchers: {@code values} ORed, {@code notValues} ORed and negated; both present are ANDed. */
  private record Field<T>(boolean httpOnly, boolean translatable, List<T> values, List<T> notValues) {}

  private final boolean forTcp;
  private final boolean allow;
  private final JwtIssuers issuers;

  /**
   * @param allow true for ALLOW rules, which fail closed by never matching; DENY and AUDIT rules
   *     fail closed by dropping the field they cannot evaluate
   */
  RuleTranslator(boolean forTcp, boolean allow, JwtIssuers issuers) {
    this.forTcp = forTcp;
    this.allow = allow;
    this.issuers = issuers;
  }

  /** The RBAC policy of a rule, or empty when the rule can never match here. */
  Optional<Policy> translate(Rule rule) {
    List<Field<Permission>> whenPermissions = new ArrayList<>();
    List<Field<Principal>> whenPrincipals = new ArrayList<>();
    for (Condition c : rule.getWhenList()) {
      if (!condition(c, whenPermissions, whenPrincipals)) {
        whenPrincipals.add(new Field<>(false, false, List.of(), List.of()));
      }
    }
    List<List<Field<Permission>>> permissionSets = new ArrayList<>();
    for (Rule.To to : rule.getToList()) {
      List<Field<Permission>> fields = new ArrayList<>(operation(to.getOperation()));
      fields.addAll(whenPermissions);
      permissionSets.add(fields);
    }
    if (permissionSets.isEmpty()) {
      permissionSets.add(whenPermissions);
    }
    List<List<Field<Principal>>> principalSets = new ArrayList<>();
    for (Rule.From from : rule.getFromList()) {
      List<Field<Principal>> fields = new ArrayList<>(source(from.getSource()));
      fields.addAll(whenPrincipals);
      principalSets.add(fields);
    }
    if (principalSets.isEmpty()) {
      principalSets.add(whenPrincipals);
    }
    Policy.Builder policy = Policy.newBuilder();
    for (List<Field<Permission>> set : permissionSets) {
      Optional<Permission> p = combine(set, RuleTranslator::permissionOr, RuleTranslator::permissionAnd,
          v -> Permission.newBuilder().setNotRule(v).build(), Permission.newBuilder().setAny(true).build());
      if (p.isEmpty()) {
        return Optional.empty();
      }
      policy.addPermissions(p.get());
    }
    for (List<Field<Principal>> set : principalSets) {
      Optional<Principal> p = combine(set, RuleTranslator::principalOr, RuleTranslator::principalAnd,
          v -> Principal.newBuilder().setNotId(v).build(), Principal.newBuilder().setAny(true).build());
      if (p.isEmpty()) {
        return Optional.empty();
      }
      policy.addPrincipals(p.get());
    }
    return Optional.of(policy.build());
  }

  /** ANDs the fields; empty when a field makes an ALLOW rule unmatchable. */
  private <T> Optional<T> combine(List<Field<T>> fields, Function<List<T>, T> or, Function<List<T>, T> and,
      Function<T, T> not, T any) {
    List<T> parts = new ArrayList<>();
    for (Field<T> f : fields) {
      if (!f.translatable() || (forTcp && f.httpOnly())) {
        if (allow) {
          return Optional.empty();
        }
        continue;
      }
      if (!f.values().isEmpty()) {
        parts.add(or.apply(f.values()));
      }
      if (!f.notValues().isEmpty()) {
        parts.add(not.apply(or.apply(f.notValues())));
      }
    }
    return Optional.of(parts.isEmpty() ? any : and.apply(parts));
  }

  private static Permission permissionOr(List<Permission> ps) {
    return ps.size() == 1 ? ps.get(0)
        : Permission.newBuilder().setOrRules(Permission.Set.newBuilder().addAllRules(ps)).build();
  }

  private static Permission permissionAnd(List<Permission> ps) {
    return Permission.newBuilder().setAndRules(Permission.Set.newBuilder().addAllRules(ps)).build();
  }

  private static Principal principalOr(List<Principal> ps) {
    return ps.size() == 1 ? ps.get(0)
        : Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(ps)).build();
  }

  private static Principal principalAnd(List<Principal> ps) {
    return Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(ps)).build();
  }

  private List<Field<Permission>> operation(Operation op) {
    List<Field<Permission>> out = new ArrayList<>();
    addIf(out, true, op.getHostsList(), op.getNotHostsList(), RuleTranslator::hosts);
    addIf(out, false, op.getPortsList(), op.getNotPortsList(), RuleTranslator::port);
    addIf(out, true, op.getMethodsList(), op.getNotMethodsList(),
        m -> List.of(Permission.newBuilder().setHeader(AuthzMatchers.headerValue(":method", m)).build()));
    addIf(out, true, op.getPathsList(), op.getNotPathsList(), p -> List.of(Permission.newBuilder()
        .setUrlPath(PathMatcher.newBuilder().setPath(AuthzMatchers.plain(p))).build()));
    return out;
  }

  private List<Field<Principal>> source(Source s) {
    List<Field<Principal>> out = new ArrayList<>();
    addIf(out, false, s.getPrincipalsList(), s.getNotPrincipalsList(),
        v -> List.of(authenticated(AuthzMatchers.principal(v))));
    addIf(out, true, s.getRequestPrincipalsList(), s.getNotRequestPrincipalsList(), this::requestPrincipal);
    addIf(out, false, s.getNamespacesList(), s.getNotNamespacesList(),
        v -> List.of(authenticated(AuthzMatchers.namespace(v))));
    addIf(out, false, s.getServiceAccountsList(), s.getNotServiceAccountsList(), RuleTranslator::serviceAccount);
    addIf(out, false, s.getTrustDomainsList(), s.getNotTrustDomainsList(), v -> List.of(authenticated(
        v.equals("*") ? AuthzMatchers.regex(".+") : AuthzMatchers.withPrefix(v + "/", AuthzMatchers.SPIFFE_PREFIX))));
    addIf(out, false, s.getIpBlocksList(), s.getNotIpBlocksList(), v -> directIp(v));
    addIf(out, false, s.getRemoteIpBlocksList(), s.getNotRemoteIpBlocksList(), v -> remoteIp(v));
    return out;
  }

  /**
   * Adds a field built from its values and not-values, each value into zero or more matchers
   * (zero: it cannot be translated).
   */
  private static <T> void addIf(List<Field<T>> out, boolean httpOnly, List<String> values, List<String> notValues,
      Function<String, List<T>> matcher) {
    if (values.isEmpty() && notValues.isEmpty()) {
      return;
    }
    boolean ok = true;
    List<T> vs = new ArrayList<>();
    for (String v : values) {
      List<T> m = matcher.apply(v);
      ok &= !m.isEmpty();
      vs.addAll(m);
    }
    List<T> nvs = new ArrayList<>();
    for (String v : notValues) {
      List<T> m = matcher.apply(v);
      ok &= !m.isEmpty();
      nvs.addAll(m);
    }
    out.add(new Field<>(httpOnly, ok, vs, nvs));
  }

  /** Adds the condition's field to the permission or principal side; false when its key is unknown. */
  private boolean condition(Condition c, List<Field<Permission>> permissions, List<Field<Principal>> principals) {
    String key = c.getKey();
    List<String> values = c.getValuesList();
    List<String> notValues = c.getNotValuesList();
    if (key.startsWith("request.headers[") && key.endsWith("]")) {
      String name = key.substring("request.headers[".length(), key.length() - 1);
      addIf(principals, true, values, notValues, v -> List.of(Principal.newBuilder()
          .setHeader(AuthzMatchers.headerValue(name, v)).build()));
      return true;
    }
    if (key.startsWith("request.auth.claims[") && key.endsWith("]")) {
      List<String> path = claimPath(key.substring("request.auth.claims[".length(), key.length() - 1));
      addIf(principals, true, values, notValues, v -> claim(path, v));
      return true;
    }
    switch (key) {
      case "source.ip" -> addIf(principals, false, values, notValues, RuleTranslator::directIp);
      case "remote.ip" -> addIf(principals, false, values, notValues, RuleTranslator::remoteIp);
      case "source.namespace" -> addIf(principals, false, values, notValues,
          v -> List.of(authenticated(AuthzMatchers.namespace(v))));
      case "source.principal" -> addIf(principals, false, values, notValues,
          v -> List.of(authenticated(AuthzMatchers.principal(v))));
      case "source.serviceAccount" -> addIf(principals, false, values, notValues, RuleTranslator::serviceAccount);
      case "request.auth.principal" -> addIf(principals, true, values, notValues, this::requestPrincipal);
      case "request.auth.audiences" -> addIf(principals, true, values, notValues, v -> claim(List.of("aud"), v));
      case "request.auth.presenter" -> addIf(principals, true, values, notValues, v -> claim(List.of("azp"), v));
      case "destination.ip" -> addIf(permissions, false, values, notValues, v -> AuthzMatchers.cidr(v)
          .map(r -> List.of(Permission.newBuilder().setDestinationIp(r).build())).orElse(List.of()));
      case "destination.port" -> addIf(permissions, false, values, notValues, RuleTranslator::port);
      case "connection.sni" -> addIf(permissions, false, values, notValues,
          v -> List.of(Permission.newBuilder().setRequestedServerName(AuthzMatchers.plain(v)).build()));
      default -> {
        return false;
      }
    }
    return true;
  }

  /** {@code a.b} nests as upstream's claim path only when written {@code a][b}; a plain name is one key. */
  private static List<String> claimPath(String inner) {
    return List.of(inner.split("\\]\\[", -1));
  }

  private static List<Permission> hosts(String host) {
    return AuthzMatchers.authority(host).stream().map(h -> Permission.newBuilder().setHeader(h).build()).toList();
  }

  private static List<Permission> port(String v) {
    try {
      int port = Integer.parseInt(v);
      if (port < 0 || port > 65535) {
        return List.of();
      }
      return List.of(Permission.newBuilder().setDestinationPort(port).build());
    } catch (NumberFormatException e) {
      return List.of();
    }
  }

  private static Principal authenticated(io.envoyproxy.envoy.type.matcher.v3.StringMatcher m) {
    return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(m)).build();
  }

  /** {@code ns/sa}, or a bare {@code sa} of any namespace, as the end of the peer's SPIFFE identity. */
  private static List<Principal> serviceAccount(String v) {
    String suffix = v.contains("/") ? "/ns/" + v.substring(0, v.indexOf('/')) + "/sa/" + v.substring(v.indexOf('/') + 1)
        : "/sa/" + v;
    return List.of(authenticated(io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder()
        .setSuffix(suffix).build()));
  }

  private static List<Principal> directIp(String v) {
    return AuthzMatchers.cidr(v).map(r -> List.of(Principal.newBuilder().setDirectRemoteIp(r).build()))
        .orElse(List.of());
  }

  private static List<Principal> remoteIp(String v) {
    return AuthzMatchers.cidr(v).map(r -> List.of(Principal.newBuilder().setRemoteIp(r).build())).orElse(List.of());
  }

  /** A claim of a JWT verified for any issuer that applies to the workload; never matches without one. */
  private List<Principal> claim(List<String> path, String v) {
    List<Principal> out = new ArrayList<>();
    for (String iss : issuers.issuers()) {
      AuthzMatchers.jwtClaim(iss, path, AuthzMatchers.plain(v))
          .forEach(m -> out.add(Principal.newBuilder().setMetadata(m).build()));
    }
    return out.isEmpty() ? List.of(never()) : List.of(principalOr(out));
  }

  /**
   * {@code iss/sub}: the payload jwt_authn stored for the issuer has that subject; {@code iss/*}: a
   * JWT of that issuer was verified; {@code *}: one of any issuer that applies to the workload was.
   */
  private List<Principal> requestPrincipal(String v) {
    if (v.equals("*")) {
      List<Principal> out = new ArrayList<>();
      for (String iss : issuers.issuers()) {
        out.add(Principal.newBuilder().setMetadata(AuthzMatchers.jwtPresent(iss)).build());
      }
      return out.isEmpty() ? List.of(never()) : List.of(principalOr(out));
    }
    Optional<JwtIssuers.Split> split = issuers.split(v);
    if (split.isEmpty()) {
      return List.of(); // not iss/sub: cannot be translated
    }
    String iss = split.get().issuer();
    String sub = split.get().subject();
    if (sub.equals("*")) {
      return List.of(Principal.newBuilder().setMetadata(AuthzMatchers.jwtPresent(iss)).build());
    }
    return AuthzMatchers.jwtClaim(iss, List.of("sub"), AuthzMatchers.plain(sub)).stream()
        .limit(1) // sub is a string claim
        .map(m -> Principal.newBuilder().setMetadata(m).build()).toList();
  }

  /** Matches no request: what a value names cannot be present here (no JWT can have been verified). */
  private static Principal never() {
    return Principal.newBuilder().setNotId(Principal.newBuilder().setAny(true)).build();
  }
}

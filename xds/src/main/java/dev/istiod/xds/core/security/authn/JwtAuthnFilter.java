package dev.istiod.xds.core.security.authn;

import com.google.protobuf.Empty;
import dev.istiod.api.security.v1beta1.ClaimToHeader;
import dev.istiod.api.security.v1beta1.JWTHeader;
import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.model.JwksResolver;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Stock Envoy's {@code envoy.filters.http.jwt_authn} for the merged JWT rules of the
 * RequestAuthentications that select a workload, with upstream's semantics: a request without a
 * token passes (only an AuthorizationPolicy can require one), a request whose token fails any
 * provider that finds it is refused with 401.
 *
 * <p>Each rule is one provider {@code origins-<i>}. One provider requires {@code any(provider,
 * allow_missing)}. Several require {@code any(p0, p1, ..., all(any(p0, allow_missing), any(p1,
 * allow_missing), ...))}: the inner AND rejects a token that some provider finds but cannot verify,
 * and the outer alternatives let a token pass that several providers read from the same place
 * (where all but one of them necessarily fail it).
 *
 * <p>Contract with authorization: every provider writes the verified payload to dynamic metadata
 * of this filter under its issuer ({@code payload_in_metadata}), where the RBAC rules for
 * {@code request.auth.*} look for it.
 */
public final class JwtAuthnFilter {
  public static final String NAME = "envoy.filters.http.jwt_authn";
  /** Claims upstream always treats as space-delimited lists (plus the rule's own). */
  static final List<String> DEFAULT_SPACE_DELIMITED_CLAIMS = List.of("permission", "scope");
  /** The modulus of {@link #failAllJwks}: no one holds the matching private key. */
  private static final String FAIL_ALL_N = "rSgIyAWCmfbZalZyOIa7E9zICKrMOZcmad-t_5PF385b7lKBJuX9odAC4b4fS3qZy0PyiKjtl2ykOBb3LumSNStc8uRvi5bF4WCR"
      + "ll7Oj1p_kjiPt4L0mbOZAUEiU62C2zPnYweGQZL3aeV-1FptyHoiirEWbUBEoqYo76nlP9TxNnQt8vRwk4CiCd8S7RhYTapWYy2J"
      + "GU6I3GKD9krAytPKpKlkquw_1jvEVbIRtf2QYU6Qk7YEl3d6jUNNt8NwzEu_4LyobNh56fYqla9TRKk2UADY91wzS8uH-saCa7uP"
      + "IzA_gtNQMJo1Hd2-tSz9vtHb6OYX3sLaW2k18Na1IQ";

  private JwtAuthnFilter() {}

  /**
   * The filter for these rules (sorted as they should be numbered), or empty when there are none.
   *
   * @param clearRouteCache gateways re-pick the route after verification, so routes can match on claims
   */
  public static Optional<HttpFilter> of(List<JWTRule> rules, JwksResolver jwks, boolean clearRouteCache) {
    if (rules.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Filters.httpFilter(NAME, config(rules, jwks, clearRouteCache)));
  }

  static JwtAuthentication config(List<JWTRule> rules, JwksResolver jwks, boolean clearRouteCache) {
    JwtAuthentication.Builder out = JwtAuthentication.newBuilder().setBypassCorsPreflight(true);
    List<JwtRequirement> eachValidIfPresent = new ArrayList<>();
    List<JwtRequirement> anyProvider = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      String name = "origins-" + i;
      out.putProviders(name, provider(rules.get(i), jwks, clearRouteCache));
      JwtRequirement byName = JwtRequirement.newBuilder().setProviderName(name).build();
      eachValidIfPresent.add(any(List.of(byName, JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance())
          .build())));
      anyProvider.add(byName);
    }
    JwtRequirement requires;
    if (eachValidIfPresent.size() == 1) {
      requires = eachValidIfPresent.get(0);
    } else {
      List<JwtRequirement> alternatives = new ArrayList<>(anyProvider);
      alternatives.add(JwtRequirement.newBuilder()
          .setRequiresAll(JwtRequirementAndList.newBuilder().addAllRequirements(eachValidIfPresent)).build());
      requires = any(alternatives);
    }
    out.addRules(RequirementRule.newBuilder()
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setRequires(requires));
    return out.build();
  }

  static JwtProvider provider(JWTRule rule, JwksResolver jwks, boolean clearRouteCache) {
    TreeSet<String> spaceDelimited = new TreeSet<>(DEFAULT_SPACE_DELIMITED_CLAIMS);
    spaceDelimited.addAll(rule.getSpaceDelimitedClaimsList());
    JwtProvider.Builder p = JwtProvider.newBuilder()
        .setIssuer(rule.getIssuer())
        .addAllAudiences(rule.getAudiencesList())
        .setForward(rule.getForwardOriginalToken())
        .setForwardPayloadHeader(rule.getOutputPayloadToHeader())
        .setPayloadInMetadata(rule.getIssuer())
        .setNormalizePayloadInMetadata(JwtProvider.NormalizePayload.newBuilder().addAllSpaceDelimitedClaims(spaceDelimited))
        .setClearRouteCache(clearRouteCache)
        .addAllFromParams(rule.getFromParamsList())
        .addAllFromCookies(rule.getFromCookiesList())
        .setLocalJwks(DataSource.newBuilder().setInlineString(keys(rule, jwks)));
    for (ClaimToHeader c : rule.getOutputClaimToHeadersList()) {
      p.addClaimToHeaders(JwtClaimToHeader.newBuilder().setHeaderName(c.getHeader()).setClaimName(c.getClaim()));
    }
    for (JWTHeader h : rule.getFromHeadersList()) {
      p.addFromHeaders(JwtHeader.newBuilder().setName(h.getName()).setValuePrefix(h.getPrefix()));
    }
    return p.build();
  }

  /** The rule's inline keys, else the resolver's, else a key set that verifies no token. */
  static String keys(JWTRule rule, JwksResolver jwks) {
    if (!rule.getJwks().isEmpty()) {
      return rule.getJwks();
    }
    return jwks.jwks(rule.getIssuer(), rule.getJwksUri()).orElseGet(() -> failAllJwks(rule.getJwksUri()));
  }

  /**
   * The key set inlined while a rule's real keys are unknown, so that a request with a token of
   * that issuer is refused ("Jwt verification fails") rather than let through, and a request
   * without one still passes, as upstream's {@code CreateFakeJwks}. Upstream derives the modulus
   * from the URI, which Envoy 1.40 rejects as an RSA key (and with it the whole listener); this is
   * a well-formed 2048-bit public key whose private key was discarded when it was made. The kid
   * names the URI so a config dump says why the rule refuses every token.
   */
  static String failAllJwks(String jwksUri) {
    String kid = "Error-IstiodFailedToFetchJwksUri-" + jwksUri;
    return "{\"keys\":[{\"e\":\"AQAB\",\"kid\":" + jsonString(kid) + ",\"kty\":\"RSA\",\"n\":\"" + FAIL_ALL_N
        + "\"}]}";
  }

  private static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private static JwtRequirement any(List<JwtRequirement> requirements) {
    return JwtRequirement.newBuilder()
        .setRequiresAny(JwtRequirementOrList.newBuilder().addAllRequirements(requirements)).build();
  }
}

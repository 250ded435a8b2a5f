package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.istiod.api.security.v1beta1.ClaimToHeader;
import dev.istiod.api.security.v1beta1.JWTHeader;
import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.model.Config;
import java.net.URI;
import java.net.URISyntaxException;

/** RequestAuthentication rules: selector or targets, and well-formed JWT rules. */
final class RequestAuthenticationValidator implements Validator {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public ValidationResult validate(Config config) {
    RequestAuthentication ra = config.spec(RequestAuthentication.class);
    Issues issues = new Issues();
    SelectorChecks.oneOfSelectorType(issues, ra.hasSelector(), ra.hasTargetRef(), ra.getTargetRefsCount());
    if (ra.hasSelector()) {
      SelectorChecks.selector(issues, ra.getSelector());
    }
    if (ra.hasTargetRef()) {
      SelectorChecks.targetRef(issues, ra.getTargetRef());
    }
    ra.getTargetRefsList().forEach(r -> SelectorChecks.targetRef(issues, r));
    ra.getJwtRulesList().forEach(r -> jwtRule(issues, r));
    return issues.result();
  }

  private static void jwtRule(Issues issues, JWTRule rule) {
    for (String audience : rule.getAudiencesList()) {
      if (audience.isEmpty()) {
        issues.error("audience must be non-empty string");
      }
    }
    if (rule.getIssuer().isEmpty() && rule.getJwksUri().isEmpty()) {
      issues.error("issuer or jwksUri must be non-empty string");
    }
    if (!rule.getJwksUri().isEmpty()) {
      jwksUri(issues, rule.getJwksUri());
    }
    if (!rule.getJwks().isEmpty()) {
      jwks(issues, rule.getJwks());
    }
    for (JWTHeader h : rule.getFromHeadersList()) {
      if (h.getName().isEmpty()) {
        issues.error("location header name must be non-empty string");
      }
    }
    for (String p : rule.getFromParamsList()) {
      if (p.isEmpty()) {
        issues.error("location query must be non-empty string");
      }
    }
    for (String c : rule.getFromCookiesList()) {
      if (c.isEmpty()) {
        issues.error("cookie name must be non-empty string");
      }
    }
    for (ClaimToHeader c : rule.getOutputClaimToHeadersList()) {
      if (c.getClaim().isEmpty() || c.getHeader().isEmpty()) {
        issues.error("outputClaimToHeaders header and claim value must be non-empty string");
        continue;
      }
      issues.error(HttpChecks.strictHeaderName(c.getHeader()));
    }
    if (rule.hasTimeout()) {
      issues.error(Common.duration(rule.getTimeout()));
    }
  }

  private static void jwksUri(Issues issues, String uri) {
    try {
      String scheme = new URI(uri).getScheme();
      if (!"http".equals(scheme) && !"https".equals(scheme)) {
        issues.error("URI scheme " + q(scheme == null ? "" : scheme) + " is not supported");
      }
    } catch (URISyntaxException e) {
      issues.error("parse " + q(uri) + ": " + e.getReason());
    }
  }

  /** Inline JWKS must be a JSON key set; Envoy only needs public keys, so private ones warn. */
  private static void jwks(Issues issues, String jwks) {
    JsonNode set;
    try {
      set = JSON.readTree(jwks);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      issues.error("jwks parse error: " + e.getOriginalMessage());
      return;
    }
    JsonNode keys = set == null ? null : set.get("keys");
    if (keys == null || !keys.isArray()) {
      if (set == null || !set.has("kty")) {
        issues.error("jwks parse error: failed to parse jwk set: missing \"keys\"");
      }
      return;
    }
    for (int i = 0; i < keys.size(); i++) {
      JsonNode k = keys.get(i);
      if (k.has("d") || "oct".equals(k.path("kty").asText())) {
        issues.warnf("jwks key at index %d contains private key material; only public keys are used for verification", i);
      }
    }
  }
}

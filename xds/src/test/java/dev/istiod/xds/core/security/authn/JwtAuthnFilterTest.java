package dev.istiod.xds.core.security.authn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.model.JwksResolver;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JwtAuthnFilterTest {
  private final List<String> asked = new ArrayList<>();
  private final JwksResolver resolver = (issuer, uri) -> {
    asked.add(issuer + " " + uri);
    return uri.contains("down") ? Optional.empty() : Optional.of("{\"keys\":[\"from " + uri + "\"]}");
  };

  @Test
  void noRules_noFilter() {
    assertThat(JwtAuthnFilter.of(List.of(), resolver, false)).isEmpty();
  }

  @Test
  void inlineKeys_win_jwksUriKeysComeFromTheResolver_unresolvedOnesRefuseEveryToken() {
    JwtAuthentication config = JwtAuthnFilter.config(List.of(
        JWTRule.newBuilder().setIssuer("a").setJwks("{\"keys\":[]}").setJwksUri("https://a/keys").build(),
        JWTRule.newBuilder().setIssuer("b").setJwksUri("https://b/keys").build(),
        JWTRule.newBuilder().setIssuer("c").setJwksUri("https://down/keys").build()), resolver, false);

    assertThat(config.getProvidersOrThrow("origins-0").getLocalJwks().getInlineString()).isEqualTo("{\"keys\":[]}");
    assertThat(config.getProvidersOrThrow("origins-1").getLocalJwks().getInlineString())
        .isEqualTo("{\"keys\":[\"from https://b/keys\"]}");
    assertThat(config.getProvidersOrThrow("origins-2").getLocalJwks().getInlineString())
        .isEqualTo(JwtAuthnFilter.failAllJwks("https://down/keys"))
        .contains("\"kid\":\"Error-IstiodFailedToFetchJwksUri-https://down/keys\"");
    assertThat(asked).containsExactly("b https://b/keys", "c https://down/keys");
  }

  @Test
  void everyProvider_publishesItsPayloadUnderItsIssuer_forAuthorization() {
    JwtAuthentication config = JwtAuthnFilter.config(List.of(
        JWTRule.newBuilder().setIssuer("https://one").setJwks("{}").build(),
        JWTRule.newBuilder().setIssuer("https://two").setJwks("{}").build()), resolver, true);

    assertThat(config.getProvidersMap().values()).extracting(p -> p.getPayloadInMetadata())
        .containsExactlyInAnyOrder("https://one", "https://two");
    assertThat(config.getProvidersMap().values()).allMatch(p -> p.getClearRouteCache());
  }
}

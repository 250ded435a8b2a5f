package dev.istiod.xds.core.security.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.security.v1beta1.Condition;
import dev.istiod.api.security.v1beta1.Operation;
import dev.istiod.api.security.v1beta1.Rule;
import dev.istiod.api.security.v1beta1.Source;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One rule as one RBAC policy, and how rules that cannot be evaluated fail closed. */
class RuleTranslatorTest {
  private static final Rule GET_FROM_SLEEP = Rule.newBuilder()
      .addFrom(Rule.From.newBuilder().setSource(Source.newBuilder().addPrincipals("cluster.local/ns/default/sa/sleep")))
      .addTo(Rule.To.newBuilder().setOperation(Operation.newBuilder().addMethods("GET")))
      .build();

  @Test
  void emptyRule_matchesEverything() {
    Policy p = translate(false, true, Rule.getDefaultInstance()).orElseThrow();

    assertThat(p.getPermissionsList()).containsExactly(Permission.newBuilder().setAny(true).build());
    assertThat(p.getPrincipalsList()).containsExactly(Principal.newBuilder().setAny(true).build());
  }

  @Test
  void httpOnlyField_onTcp_makesAnAllowRuleNeverMatch_andIsDroppedFromADenyRule() {
    assertThat(translate(true, true, GET_FROM_SLEEP)).as("ALLOW on TCP").isEmpty();

    Policy deny = translate(true, false, GET_FROM_SLEEP).orElseThrow();
    assertThat(deny.getPermissionsList()).as("DENY on TCP: the method is dropped")
        .containsExactly(Permission.newBuilder().setAny(true).build());
    assertThat(deny.getPrincipals(0).toString()).as("DENY on TCP keeps the principal")
        .contains("spiffe://cluster.local/ns/default/sa/sleep");

    assertThat(translate(false, true, GET_FROM_SLEEP).orElseThrow().getPermissions(0).toString())
        .as("on HTTP the method is matched").contains(":method").contains("GET");
  }

  @Test
  void unknownConditionKey_failsClosed() {
    Rule rule = Rule.newBuilder().addWhen(Condition.newBuilder().setKey("experimental.unknown").addValues("x"))
        .build();

    assertThat(translate(false, true, rule)).as("ALLOW").isEmpty();
    assertThat(translate(false, false, rule).orElseThrow().getPrincipalsList()).as("DENY: matches every caller")
        .containsExactly(Principal.newBuilder().setAny(true).build());
  }

  @Test
  void anyRequestPrincipal_withoutRequestAuthentication_matchesNoRequest_soItsNegationMatchesAll() {
    Rule notAuthenticated = Rule.newBuilder()
        .addFrom(Rule.From.newBuilder().setSource(Source.newBuilder().addNotRequestPrincipals("*"))).build();

    Principal p = translate(false, false, notAuthenticated).orElseThrow().getPrincipals(0);

    Principal never = Principal.newBuilder().setNotId(Principal.newBuilder().setAny(true)).build();
    assertThat(p.getAndIds().getIdsList()).containsExactly(Principal.newBuilder().setNotId(never).build());
  }

  @Test
  void requestPrincipal_splitsAtAKnownIssuerEvenWithSlashesInIt() {
    JwtIssuers issuers = new JwtIssuers(List.of("https://example.com/realms/a"));

    assertThat(issuers.split("https://example.com/realms/a/user/1")).contains(
        new JwtIssuers.Split("https://example.com/realms/a", "user/1"));
    assertThat(issuers.split("https://other.example.com/bob")).contains(
        new JwtIssuers.Split("https://other.example.com", "bob"));
    assertThat(issuers.split("nobody")).isEmpty();
  }

  private static Optional<Policy> translate(boolean forTcp, boolean allow, Rule rule) {
    return new RuleTranslator(forTcp, allow, JwtIssuers.NONE).translate(rule);
  }
}

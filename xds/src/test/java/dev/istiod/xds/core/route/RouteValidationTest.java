package dev.istiod.xds.core.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each case is a route Envoy 1.40 rejects in {@code --mode validate} (or accepts, for the valid ones). */
class RouteValidationTest {
  static Route.Builder route() {
    return Route.newBuilder().setName("r").setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setRoute(RouteAction.newBuilder().setCluster("outbound|80||a.default.svc.cluster.local"));
  }

  static HeaderValueOption header(String key, String value) {
    return HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey(key).setValue(value)).build();
  }

  @Test
  void problems_plainForwardingRoute_none() {
    assertThat(RouteValidation.problems(route().build())).isEmpty();
  }

  @Test
  void problems_regexOverEnvoysProgramSizeLimit_reported() {
    Route r = route().setMatch(RouteMatch.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("a{200}"))).build();

    assertThat(RouteValidation.problems(r)).singleElement().asString().contains("program size");
  }

  @Test
  void problems_regexRe2CannotCompile_reported() {
    Route r = route().setMatch(RouteMatch.newBuilder().setPrefix("/").addHeaders(HeaderMatcher.newBuilder()
        .setName("x").setStringMatch(StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("(?=a)"))))).build();

    assertThat(RouteValidation.problems(r)).singleElement().asString().contains("does not compile");
  }

  @Test
  void problems_emptyHeaderPrefix_reported() {
    Route r = route().setMatch(RouteMatch.newBuilder().setPrefix("/").addHeaders(HeaderMatcher.newBuilder()
        .setName("x").setStringMatch(StringMatcher.newBuilder().setPrefix("")))).build();

    assertThat(RouteValidation.problems(r)).anySatisfy(p -> assertThat(p).contains("prefix"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "100%|true",
      "%FOO|true",
      "50%%|false",
      "%DOWNSTREAM_REMOTE_ADDRESS%|false",
      "%REQ(x-user)% at %START_TIME(%s)%|false",
      "plain|false"})
  void problems_headerValueSubstitutions_loneOrUnclosedPercentReported(String value, boolean rejected) {
    Route r = route().addRequestHeadersToAdd(header("x-v", value)).build();

    assertThat(RouteValidation.problems(r).isEmpty()).as(value).isEqualTo(!rejected);
  }

  @Test
  void problems_modifyingOrRemovingPseudoHeadersOrHost_reported() {
    Route r = route().addRequestHeadersToAdd(header(":authority", "x")).addRequestHeadersToRemove("host").build();

    assertThat(RouteValidation.problems(r)).hasSize(2);
  }

  @Test
  void problems_weightedSplitWithZeroTotal_reported() {
    Route r = route().setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("a").setWeight(UInt32Value.of(0))))).build();

    assertThat(RouteValidation.problems(r)).singleElement().asString().contains("total weight");
  }

  @Test
  void problems_directResponseStatusAndZeroFaultDelay_reported() {
    Route r = route().setDirectResponse(DirectResponseAction.newBuilder().setStatus(99))
        .putTypedPerFilterConfig(Filters.FAULT, Any.pack(HTTPFault.newBuilder()
            .setDelay(FaultDelay.newBuilder().setFixedDelay(Duration.getDefaultInstance())).build()))
        .build();

    assertThat(RouteValidation.problems(r)).anySatisfy(p -> assertThat(p).contains("status"))
        .anySatisfy(p -> assertThat(p).contains("fixed_delay"));
  }

  @Test
  void check_dropsBadRoutesAndDuplicateDomains_keepsTheRest() {
    Route bad = route().setName("bad").setMatch(RouteMatch.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("x{300}"))).build();
    RouteConfiguration config = RouteConfiguration.newBuilder().setName("80")
        .addVirtualHosts(VirtualHost.newBuilder().setName("a:80").addDomains("a").addRoutes(bad).addRoutes(route()))
        .addVirtualHosts(VirtualHost.newBuilder().setName("b:80").addDomains("A").addRoutes(route()))
        .build();

    RouteValidation.Checked checked = RouteValidation.check(config);

    assertThat(checked.config().getVirtualHostsList()).extracting(VirtualHost::getName).containsExactly("a:80");
    assertThat(checked.config().getVirtualHosts(0).getRoutesList()).extracting(Route::getName).containsExactly("r");
    assertThat(checked.problems()).hasSize(3);
  }
}

package dev.istiod.xds.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Envoy's route match semantics: path specifiers, header matchers (absent headers, invert), query parameters. */
class RouteSelectorTest {

  @Test
  void prefix_comparesTheWholePathIncludingQuery_exactPathIgnoresQuery() {
    assertThat(matches(RouteMatch.newBuilder().setPrefix("/api?v=1"), get("/api?v=1&x=2"))).isTrue();
    assertThat(matches(RouteMatch.newBuilder().setPath("/api"), get("/api?v=1"))).isTrue();
    assertThat(matches(RouteMatch.newBuilder().setPath("/api"), get("/api/"))).isFalse();
  }

  @Test
  void caseSensitiveFalse_appliesToPrefixAndPath() {
    RouteMatch.Builder m = RouteMatch.newBuilder().setPrefix("/API").setCaseSensitive(BoolValue.of(false));
    assertThat(matches(m, get("/api/x"))).isTrue();
    assertThat(matches(RouteMatch.newBuilder().setPrefix("/API"), get("/api/x"))).isFalse();
  }

  @Test
  void safeRegex_mustMatchTheWholePathWithoutQuery() {
    RouteMatch.Builder m = RouteMatch.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("/v[0-9]+"));
    assertThat(matches(m, get("/v12?x=1"))).isTrue();
    assertThat(matches(m, get("/v12/more"))).isFalse();
  }

  @Test
  void pathSeparatedPrefix_needsASegmentBoundary() {
    RouteMatch.Builder m = RouteMatch.newBuilder().setPathSeparatedPrefix("/api");
    assertThat(matches(m, get("/api"))).isTrue();
    assertThat(matches(m, get("/api/v1"))).isTrue();
    assertThat(matches(m, get("/apis"))).isFalse();
  }

  @Test
  void absentHeader_failsValueMatchers_evenInverted() {
    HeaderMatcher exact = header("x-user").setStringMatch(StringMatcher.newBuilder().setExact("jason")).build();
    assertThat(RouteSelector.headerMatches(exact, get("/"))).isFalse();
    assertThat(RouteSelector.headerMatches(exact.toBuilder().setInvertMatch(true).build(), get("/"))).isFalse();
    assertThat(RouteSelector.headerMatches(exact.toBuilder().setInvertMatch(true).build(), get("/", "x-user", "bob")))
        .isTrue();
  }

  @Test
  void absentHeader_passesPresentFalse_andInvertedPresentTrue() {
    assertThat(RouteSelector.headerMatches(header("x-debug").setPresentMatch(false).build(), get("/"))).isTrue();
    assertThat(RouteSelector.headerMatches(header("x-debug").setPresentMatch(true).setInvertMatch(true).build(),
        get("/"))).isTrue();
    assertThat(RouteSelector.headerMatches(header("x-debug").setPresentMatch(true).setInvertMatch(true).build(),
        get("/", "x-debug", "1"))).isFalse();
  }

  @Test
  void treatMissingHeaderAsEmpty_matchesAgainstTheEmptyString() {
    HeaderMatcher m = header("x-tier").setStringMatch(StringMatcher.newBuilder().setExact(""))
        .setTreatMissingHeaderAsEmpty(true).build();
    assertThat(RouteSelector.headerMatches(m, get("/"))).isTrue();
  }

  @Test
  void repeatedHeaders_areJoinedWithCommas() {
    HeaderMatcher m = header("x-tags").setStringMatch(StringMatcher.newBuilder().setExact("a,b")).build();
    Request r = new Request("h", "/", "GET", "http", Map.of("x-tags", List.of("a", "b")), false, false);
    assertThat(RouteSelector.headerMatches(m, r)).isTrue();
  }

  @Test
  void pseudoHeaders_comeFromTheRequestLine() {
    HeaderMatcher method = header(":method").setStringMatch(StringMatcher.newBuilder().setExact("POST")).build();
    assertThat(RouteSelector.headerMatches(method, new Request("h", "/", "POST", "http", Map.of(), false, false)))
        .isTrue();
    HeaderMatcher authority = header(":authority").setStringMatch(StringMatcher.newBuilder().setPrefix("shop.")).build();
    assertThat(RouteSelector.headerMatches(authority, new Request("shop.example", "/", "GET", "http", Map.of(), false,
        false))).isTrue();
  }

  @Test
  void stringMatcher_ignoreCase_andRegexFullMatch() {
    HeaderMatcher ic = header("x").setStringMatch(StringMatcher.newBuilder().setPrefix("TR").setIgnoreCase(true)).build();
    assertThat(RouteSelector.headerMatches(ic, get("/", "x", "trace"))).isTrue();
    HeaderMatcher re = header("x").setStringMatch(StringMatcher.newBuilder()
        .setSafeRegex(RegexMatcher.newBuilder().setRegex("[a-f0-9]{4}"))).build();
    assertThat(RouteSelector.headerMatches(re, get("/", "x", "beef"))).isTrue();
    assertThat(RouteSelector.headerMatches(re, get("/", "x", "beef1"))).isFalse();
  }

  @Test
  void queryParameters_valueOrPresence() {
    QueryParameterMatcher debug = QueryParameterMatcher.newBuilder().setName("debug")
        .setStringMatch(StringMatcher.newBuilder().setExact("1")).build();
    QueryParameterMatcher trace = QueryParameterMatcher.newBuilder().setName("trace").setPresentMatch(true).build();
    assertThat(RouteSelector.queryMatches(debug, get("/?debug=1"))).isTrue();
    assertThat(RouteSelector.queryMatches(debug, get("/?debug=2"))).isFalse();
    assertThat(RouteSelector.queryMatches(debug, get("/"))).isFalse();
    assertThat(RouteSelector.queryMatches(trace, get("/?trace"))).isTrue();
    assertThat(RouteSelector.queryMatches(trace, get("/?debug=1"))).isFalse();
  }

  @Test
  void normalizePath_removesDotSegments_mergeSlashesCollapses() {
    assertThat(Request.normalize("/a/./b/../c?x=/../", true, false)).isEqualTo("/a/c?x=/../");
    assertThat(Request.normalize("/a//b", false, true)).isEqualTo("/a/b");
    assertThat(Request.normalize("/a/..", true, false)).isEqualTo("/");
  }

  private static boolean matches(RouteMatch.Builder m, Request r) {
    return RouteSelector.matches(Route.newBuilder().setMatch(m).build(), r);
  }

  private static HeaderMatcher.Builder header(String name) {
    return HeaderMatcher.newBuilder().setName(name);
  }

  private static Request get(String path, String... headerPairs) {
    Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
    for (int i = 0; i < headerPairs.length; i += 2) {
      headers.put(headerPairs[i], List.of(headerPairs[i + 1]));
    }
    return new Request("host", path, "GET", "http", headers, false, false);
  }
}

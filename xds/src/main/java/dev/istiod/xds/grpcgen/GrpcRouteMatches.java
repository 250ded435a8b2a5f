package dev.istiod.xds.grpcgen;

import com.google.protobuf.BoolValue;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Translates a VirtualService {@code HTTPMatchRequest} into the Envoy {@link RouteMatch} subset
 * that gRPC evaluates (gRFC A28): path as prefix, exact path or RE2 regex, and header matchers.
 * Header matchers come out sorted by name, then {@code :method}, {@code :authority},
 * {@code :scheme}, as upstream orders them, so the output is stable.
 */
final class GrpcRouteMatches {

  private GrpcRouteMatches() {}

  /** The catch-all match: every RPC path starts with "/". */
  static RouteMatch catchAll() {
    return RouteMatch.newBuilder().setPrefix("/").build();
  }

  /**
   * Translates one match. Empty when the match cannot be expressed to gRPC: a header keyed on
   * JWT claims ({@code @request.auth.claims...}) needs request metadata gRPC clients do not have,
   * and dropping only that condition would widen the route.
   */
  static Optional<RouteMatch> translate(HTTPMatchRequest in) {
    if (in == null) {
      return Optional.of(catchAll());
    }
    RouteMatch.Builder out = RouteMatch.newBuilder().setPrefix("/");
    if (hasClaimHeader(in.getHeadersMap()) || hasClaimHeader(in.getWithoutHeadersMap())) {
      return Optional.empty();
    }
    List<HeaderMatcher> headers = new ArrayList<>();
    new TreeMap<>(in.getHeadersMap()).forEach((name, m) -> headers.add(header(name, m).build()));
    new TreeMap<>(in.getWithoutHeadersMap()).forEach((name, m) -> {
      HeaderMatcher.Builder h = header(name, m).setInvertMatch(true);
      if (!isPresentMatch(m)) {
        h.setTreatMissingHeaderAsEmpty(true);
      }
      headers.add(h.build());
    });
    headers.sort(Comparator.comparing(HeaderMatcher::getName));
    out.addAllHeaders(headers);
    if (in.hasUri()) {
      StringMatch uri = in.getUri();
      switch (uri.getMatchTypeCase()) {
        case EXACT -> out.setPath(uri.getExact());
        case PREFIX -> out.setPrefix(uri.getPrefix());
        case REGEX -> out.setSafeRegex(RegexMatcher.newBuilder().setRegex(uri.getRegex()));
        case MATCHTYPE_NOT_SET -> { }
      }
    }
    out.setCaseSensitive(BoolValue.of(!in.getIgnoreUriCase()));
    if (in.hasMethod()) {
      out.addHeaders(header(":method", in.getMethod()));
    }
    if (in.hasAuthority()) {
      out.addHeaders(header(":authority", in.getAuthority()));
    }
    if (in.hasScheme()) {
      out.addHeaders(header(":scheme", in.getScheme()));
    }
    // Kept for fidelity: gRPC skips a route with query parameter matchers rather than widening it.
    new TreeMap<>(in.getQueryParamsMap()).forEach((name, m) -> out.addQueryParameters(queryParam(name, m)));
    return Optional.of(out.build());
  }

  /** True if the match selects every request (prefix "/" and nothing else). */
  static boolean isCatchAll(RouteMatch m) {
    return m.getPathSpecifierCase() == RouteMatch.PathSpecifierCase.PREFIX
        && m.getPrefix().equals("/")
        && m.getHeadersCount() == 0
        && m.getQueryParametersCount() == 0;
  }

  private static HeaderMatcher.Builder header(String name, StringMatch m) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    if (isPresentMatch(m)) {
      return h.setPresentMatch(true);
    }
    stringMatcher(m).ifPresent(h::setStringMatch);
    return h;
  }

  private static QueryParameterMatcher queryParam(String name, StringMatch m) {
    QueryParameterMatcher.Builder q = QueryParameterMatcher.newBuilder().setName(name);
    if (isPresentMatch(m)) {
      return q.setPresentMatch(true).build();
    }
    stringMatcher(m).ifPresent(q::setStringMatch);
    return q.build();
  }

  /** As upstream: an empty match, or the regex "*", means "the header is present". */
  private static boolean isPresentMatch(StringMatch m) {
    return m == null
        || m.getMatchTypeCase() == StringMatch.MatchTypeCase.MATCHTYPE_NOT_SET
        || (m.getMatchTypeCase() == StringMatch.MatchTypeCase.REGEX && m.getRegex().equals("*"));
  }

  private static Optional<StringMatcher> stringMatcher(StringMatch m) {
    return switch (m.getMatchTypeCase()) {
      case EXACT -> Optional.of(StringMatcher.newBuilder().setExact(m.getExact()).build());
      case PREFIX -> Optional.of(StringMatcher.newBuilder().setPrefix(m.getPrefix()).build());
      case REGEX -> Optional.of(StringMatcher.newBuilder()
          .setSafeRegex(RegexMatcher.newBuilder().setRegex(m.getRegex())).build());
      case MATCHTYPE_NOT_SET -> Optional.empty();
    };
  }

  private static boolean hasClaimHeader(Map<String, StringMatch> headers) {
    return headers.keySet().stream().anyMatch(h -> h.startsWith("@request.auth.claims"));
  }
}

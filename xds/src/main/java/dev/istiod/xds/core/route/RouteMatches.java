package dev.istiod.xds.core.route;

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
import java.util.TreeMap;

/**
 * VirtualService match conditions as Envoy route matches, as upstream's
 * {@code TranslateRouteMatch}: uri exact/prefix/regex, headers (exact, prefix, regex, and
 * present for an empty match or the regex {@code *}), withoutHeaders, method, authority and scheme
 * as pseudo-headers, query parameters and {@code ignoreUriCase}.
 */
final class RouteMatches {
  private RouteMatches() {}

  /** A match-all route match (prefix {@code /}). */
  static RouteMatch catchAll() {
    return RouteMatch.newBuilder().setPrefix("/").build();
  }

  static RouteMatch translate(HTTPMatchRequest in) {
    RouteMatch.Builder out = RouteMatch.newBuilder().setPrefix("/");
    if (in == null) {
      return out.build();
    }
    List<HeaderMatcher> headers = new ArrayList<>();
    new TreeMap<>(in.getHeadersMap()).forEach((name, m) -> headers.add(header(name, m)));
    new TreeMap<>(in.getWithoutHeadersMap()).forEach((name, m) -> {
      HeaderMatcher.Builder h = header(name, m).toBuilder().setInvertMatch(true);
      if (!isPresentMatch(m)) {
        h.setTreatMissingHeaderAsEmpty(true);
      }
      headers.add(h.build());
    });
    headers.sort(Comparator.comparing(HeaderMatcher::getName));
    out.addAllHeaders(headers);
    if (in.hasUri()) {
      switch (in.getUri().getMatchTypeCase()) {
        case EXACT -> out.setPath(in.getUri().getExact());
        case PREFIX -> out.setPrefix(in.getUri().getPrefix());
        case REGEX -> out.setSafeRegex(RegexMatcher.newBuilder().setRegex(in.getUri().getRegex()));
        default -> { }
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
    for (Map.Entry<String, StringMatch> q : new TreeMap<>(in.getQueryParamsMap()).entrySet()) {
      QueryParameterMatcher.Builder qm = QueryParameterMatcher.newBuilder().setName(q.getKey());
      if (isPresentMatch(q.getValue())) {
        qm.setPresentMatch(true);
      } else {
        qm.setStringMatch(stringMatcher(q.getValue()));
      }
      out.addQueryParameters(qm);
    }
    return out.build();
  }

  private static HeaderMatcher header(String name, StringMatch m) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    if (isPresentMatch(m)) {
      h.setPresentMatch(true);
    } else {
      h.setStringMatch(stringMatcher(m));
    }
    return h.build();
  }

  /** Empty matches and the regex {@code *} (not RE2, but common) mean "header present". */
  static boolean isPresentMatch(StringMatch m) {
    return m.getMatchTypeCase() == StringMatch.MatchTypeCase.MATCHTYPE_NOT_SET
        || (m.getMatchTypeCase() == StringMatch.MatchTypeCase.REGEX && m.getRegex().equals("*"));
  }

  static StringMatcher stringMatcher(StringMatch m) {
    return switch (m.getMatchTypeCase()) {
      case EXACT -> StringMatcher.newBuilder().setExact(m.getExact()).build();
      case PREFIX -> StringMatcher.newBuilder().setPrefix(m.getPrefix()).build();
      case REGEX -> StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(m.getRegex())).build();
      default -> StringMatcher.getDefaultInstance();
    };
  }

  /** True for a route that matches every request, after which no route is ever reached. */
  static boolean isCatchAll(RouteMatch m) {
    boolean catchAllPath = switch (m.getPathSpecifierCase()) {
      case PREFIX -> m.getPrefix().equals("/");
      case PATH_SEPARATED_PREFIX -> m.getPathSeparatedPrefix().equals("/");
      case SAFE_REGEX -> m.getSafeRegex().getRegex().equals(".*");
      default -> false;
    };
    return catchAllPath && m.getHeadersCount() == 0 && m.getQueryParametersCount() == 0
        && m.getDynamicMetadataCount() == 0;
  }
}

package dev.istiod.xds.simulation;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.Locale;
import java.util.Optional;

/**
 * Envoy's route matching within a virtual host: the first route whose match holds wins. A match
 * holds when its path specifier, every header matcher, every query parameter matcher and the
 * gRPC / TLS conditions hold.
 *
 * <p>Path specifiers follow Envoy: {@code prefix} compares the whole {@code :path} (query
 * included); {@code path}, {@code safe_regex} and {@code path_separated_prefix} compare the path
 * without its query; {@code case_sensitive} (default true) applies to prefix and exact paths, not
 * to regexes. Header matchers follow Envoy's absent-header rule: an absent header fails every
 * matcher except {@code present_match: false}, and with {@code invert_match} passes only
 * {@code present_match: true} — unless {@code treat_missing_header_as_empty}.
 */
final class RouteSelector {
  private RouteSelector() {}

  /** Index of the first matching route, or -1. */
  static int firstMatch(VirtualHost vh, Request request) {
    for (int i = 0; i < vh.getRoutesCount(); i++) {
      if (matches(vh.getRoutes(i), request)) {
        return i;
      }
    }
    return -1;
  }

  static boolean matches(Route route, Request request) {
    RouteMatch m = route.getMatch();
    if (!pathMatches(m, request)) {
      return false;
    }
    for (HeaderMatcher h : m.getHeadersList()) {
      if (!headerMatches(h, request)) {
        return false;
      }
    }
    for (QueryParameterMatcher q : m.getQueryParametersList()) {
      if (!queryMatches(q, request)) {
        return false;
      }
    }
    if (m.hasGrpc() && !request.header("content-type").map(v -> v.startsWith("application/grpc")).orElse(false)) {
      return false;
    }
    if (m.hasTlsContext()) {
      if (m.getTlsContext().hasPresented() && m.getTlsContext().getPresented().getValue() != request.clientCertificate()) {
        return false;
      }
      if (m.getTlsContext().hasValidated() && m.getTlsContext().getValidated().getValue() != request.clientCertificate()) {
        return false;
      }
    }
    if (m.getDynamicMetadataCount() > 0 || m.getFilterStateCount() > 0) {
      throw new UnsupportedOperationException("the simulator does not model metadata or filter-state route matches: "
          + route.getName());
    }
    // runtime_fraction is taken at its default: a route with a non-zero default share matches.
    return !m.hasRuntimeFraction() || m.getRuntimeFraction().getDefaultValue().getNumerator() > 0;
  }

  private static boolean pathMatches(RouteMatch m, Request request) {
    boolean caseSensitive = !m.hasCaseSensitive() || m.getCaseSensitive().getValue();
    return switch (m.getPathSpecifierCase()) {
      case PREFIX -> startsWith(request.path(), m.getPrefix(), caseSensitive);
      case PATH -> caseSensitive ? request.pathOnly().equals(m.getPath())
          : request.pathOnly().equalsIgnoreCase(m.getPath());
      case SAFE_REGEX -> StringMatchers.matches(m.getSafeRegex(), request.pathOnly());
      case PATH_SEPARATED_PREFIX -> {
        String p = request.pathOnly();
        String prefix = m.getPathSeparatedPrefix();
        yield startsWith(p, prefix, caseSensitive) && (p.length() == prefix.length() || p.charAt(prefix.length()) == '/');
      }
      case CONNECT_MATCHER -> request.method().equals("CONNECT");
      case PATH_MATCH_POLICY, PATHSPECIFIER_NOT_SET ->
          throw new UnsupportedOperationException("the simulator does not model path specifier " + m.getPathSpecifierCase());
    };
  }

  private static boolean startsWith(String s, String prefix, boolean caseSensitive) {
    return caseSensitive ? s.startsWith(prefix)
        : s.toLowerCase(Locale.ROOT).startsWith(prefix.toLowerCase(Locale.ROOT));
  }

  static boolean headerMatches(HeaderMatcher h, Request request) {
    Optional<String> found = request.header(h.getName().toLowerCase(Locale.ROOT));
    HeaderMatcher.HeaderMatchSpecifierCase kind = h.getHeaderMatchSpecifierCase();
    boolean unset = kind == HeaderMatcher.HeaderMatchSpecifierCase.HEADERMATCHSPECIFIER_NOT_SET;
    boolean presence = unset || kind == HeaderMatcher.HeaderMatchSpecifierCase.PRESENT_MATCH;
    boolean wantPresent = unset || h.getPresentMatch(); // no specifier means "present"
    if (found.isEmpty() && !h.getTreatMissingHeaderAsEmpty()) {
      return h.getInvertMatch() ? presence && wantPresent : presence && !wantPresent;
    }
    String value = found.orElse("");
    boolean match = switch (h.getHeaderMatchSpecifierCase()) {
      case EXACT_MATCH -> h.getExactMatch().isEmpty() || value.equals(h.getExactMatch());
      case SAFE_REGEX_MATCH -> StringMatchers.matches(h.getSafeRegexMatch(), value);
      case RANGE_MATCH -> inRange(value, h.getRangeMatch().getStart(), h.getRangeMatch().getEnd());
      case PRESENT_MATCH -> h.getPresentMatch();
      case PREFIX_MATCH -> value.startsWith(h.getPrefixMatch());
      case SUFFIX_MATCH -> value.endsWith(h.getSuffixMatch());
      case CONTAINS_MATCH -> value.contains(h.getContainsMatch());
      case STRING_MATCH -> StringMatchers.matches(h.getStringMatch(), value);
      case HEADERMATCHSPECIFIER_NOT_SET -> true; // no specifier: a presence match
    };
    return match != h.getInvertMatch();
  }

  private static boolean inRange(String value, long start, long end) {
    try {
      long v = Long.parseLong(value);
      return v >= start && v < end;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  static boolean queryMatches(QueryParameterMatcher q, Request request) {
    Optional<String> value = request.queryParameter(q.getName());
    if (q.hasStringMatch()) {
      return value.isPresent() && StringMatchers.matches(q.getStringMatch(), value.get());
    }
    if (q.hasPresentMatch()) {
      return value.isPresent() == q.getPresentMatch();
    }
    return value.isPresent();
  }
}

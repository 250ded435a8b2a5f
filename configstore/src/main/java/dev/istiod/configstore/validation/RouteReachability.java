package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Warns about routes that can never match: a rule after a catch-all rule, a match repeated
 * from an earlier rule, or a prefix match shadowed by a shorter prefix earlier on. These are
 * warnings, never errors, as upstream does: the config is legal, just not what was meant.
 */
final class RouteReachability {
  private RouteReachability() {}

  static void analyze(Issues issues, VirtualService vs) {
    analyzeHttp(issues, vs.getHttpList());
    analyzeSimple(issues, vs.getTcpList(), r -> r.getMatchList());
    analyzeSimple(issues, vs.getTlsList(), r -> r.getMatchList());
  }

  private static void unused(Issues issues, String rule, String reason) {
    issues.warn("virtualService rule " + rule + " not used (" + reason + ")");
  }

  private static void ineffective(Issues issues, String rule, String match, String dup) {
    issues.warn("virtualService rule " + rule + " match " + match
        + " is not used (duplicate/overlapping match in rule " + dup + ")");
  }

  private static String routeName(HTTPRoute r, int n) {
    return r.getName().isEmpty() ? "#" + n : Issues.q(r.getName());
  }

  private static String matchName(HTTPMatchRequest m, int n) {
    return m.getName().isEmpty() ? "#" + n : Issues.q(m.getName());
  }

  private static void analyzeHttp(Issues issues, List<HTTPRoute> routes) {
    Map<HTTPMatchRequest, Integer> seen = new HashMap<>();
    int catchAll = -1;
    List<PrefixMatch> prefixes = new ArrayList<>();
    for (int rn = 0; rn < routes.size(); rn++) {
      HTTPRoute route = routes.get(rn);
      if (route.getMatchCount() == 0) {
        if (catchAll >= 0) {
          unused(issues, routeName(route, rn), "only the last rule can have no matches");
        }
        catchAll = rn;
        continue;
      }
      int duplicates = 0;
      for (int mn = 0; mn < route.getMatchCount(); mn++) {
        HTTPMatchRequest match = route.getMatch(mn);
        if (catchAll >= 0) {
          unused(issues, routeName(route, rn), "route without matches defined before");
          continue;
        }
        // Names do not take part in routing, so two matches differing only by name are the same.
        HTTPMatchRequest key = match.toBuilder().clearName().build();
        Integer dup = seen.get(key);
        if (dup != null) {
          ineffective(issues, routeName(route, rn), matchName(match, mn), routeName(routes.get(dup), dup));
          duplicates++;
          continue;
        }
        seen.put(key, rn);
        PrefixMatch p = PrefixMatch.of(routeName(route, rn), matchName(match, mn), match);
        if (p != null) {
          prefixes.add(p);
        }
      }
      if (duplicates == route.getMatchCount()) {
        unused(issues, routeName(route, rn), "all matches used by prior rules");
      }
    }
    for (int i = 0; i < prefixes.size(); i++) {
      for (int j = i + 1; j < prefixes.size(); j++) {
        PrefixMatch a = prefixes.get(i);
        PrefixMatch b = prefixes.get(j);
        if (!b.prefix.equals(a.prefix) && a.covers(b)) {
          ineffective(issues, b.route, b.match + " of prefix " + b.prefix,
              a.match + " of prefix " + a.prefix + " on " + a.route);
        }
      }
    }
  }

  private static <R, M extends Message> void analyzeSimple(Issues issues, List<R> routes,
      Function<R, List<M>> matches) {
    Map<M, Integer> seen = new HashMap<>();
    int catchAll = -1;
    for (int rn = 0; rn < routes.size(); rn++) {
      List<M> ms = matches.apply(routes.get(rn));
      if (ms.isEmpty()) {
        if (catchAll >= 0) {
          unused(issues, "#" + rn, "only the last rule can have no matches");
        }
        catchAll = rn;
        continue;
      }
      int duplicates = 0;
      for (int mn = 0; mn < ms.size(); mn++) {
        if (catchAll >= 0) {
          unused(issues, "#" + rn, "route without matches defined before");
          continue;
        }
        Integer dup = seen.putIfAbsent(ms.get(mn), rn);
        if (dup != null) {
          ineffective(issues, "#" + rn, "#" + mn, "#" + dup);
          duplicates++;
        }
      }
      if (duplicates == ms.size()) {
        unused(issues, "#" + rn, "all matches used by prior rules");
      }
    }
  }

  /** The parts of a prefix URI match that decide whether an earlier match shadows a later one. */
  private record PrefixMatch(String route, String match, String prefix, int port, String method,
      String authority, Map<String, String> headers, Map<String, String> queryParams,
      Map<String, String> withoutHeaders) {

    static PrefixMatch of(String route, String match, HTTPMatchRequest m) {
      if (!m.hasUri() || m.getUri().getPrefix().isEmpty()) {
        return null;
      }
      String method = exactOrPrefix(m.getMethod());
      return new PrefixMatch(route, match, m.getUri().getPrefix(), m.getPort(),
          method.isEmpty() ? "exact:GET" : method, exactOrPrefix(m.getAuthority()),
          flatten(m.getHeadersMap()), flatten(m.getQueryParamsMap()), flatten(m.getWithoutHeadersMap()));
    }

    private static String exactOrPrefix(StringMatch sm) {
      if (!sm.getExact().isEmpty()) {
        return "exact:" + sm.getExact();
      }
      if (!sm.getPrefix().isEmpty()) {
        return "prefix:" + sm.getPrefix();
      }
      return "";
    }

    private static Map<String, String> flatten(Map<String, StringMatch> m) {
      Map<String, String> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(k, exactOrPrefix(v)));
      return out;
    }

    /** True if every request that {@code later} matches is already taken by this match. */
    boolean covers(PrefixMatch later) {
      if (!later.prefix.startsWith(prefix) || later.port != port) {
        return false;
      }
      if (!method.equals(later.method) && !method.startsWith(later.method)) {
        return false;
      }
      if (!authority.equals(later.authority) && !authority.startsWith(later.authority)) {
        return false;
      }
      return mapCovers(headers, later.headers) && mapCovers(queryParams, later.queryParams)
          && mapCovers(withoutHeaders, later.withoutHeaders);
    }

    private static boolean mapCovers(Map<String, String> a, Map<String, String> b) {
      if (a.size() != b.size()) {
        return false;
      }
      for (Map.Entry<String, String> e : a.entrySet()) {
        String other = b.get(e.getKey());
        if (other == null || (!e.getValue().equals(other) && !e.getValue().startsWith(other))) {
          return false;
        }
      }
      return true;
    }
  }
}

package dev.istiod.xds.core.route;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.xds.core.ProtoRules;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;

/**
 * The checks Envoy applies to a route configuration (proto-validate rules and the ones its route
 * and header parsers add) that matter for what istiod generates, run on every route before it is
 * sent: one route Envoy would reject makes it reject the whole configuration, so such a route is
 * dropped and reported instead, and every other route keeps flowing. Envoy's generic proto rules
 * come from {@link ProtoRules}; on top of them, the rules Envoy enforces in code: RE2 compilation and
 * program size of every regex, weighted splits with a positive total, no pseudo-headers or
 * {@code host} modified or removed, valid {@code %COMMAND%} substitutions in header values,
 * exclusive path rewrites, non-negative timeouts and the direct-response body limit.
 */
public final class RouteValidation {
  /** A {@code %...%} substitution in a header value: {@code %%} or an upper-case command with arguments. */
  private static final java.util.regex.Pattern SUBSTITUTION =
      java.util.regex.Pattern.compile("%(%|[A-Z][A-Z0-9_]*(\\([^)]*\\))?(:[0-9]+)?%)");

  /**
   * A route configuration with the routes (and virtual hosts) Envoy would reject taken out.
   *
   * @param problems one line per dropped route or virtual host, saying why
   */
  public record Checked(RouteConfiguration config, List<String> problems) {
    public Checked {
      problems = List.copyOf(problems);
    }
  }

  private RouteValidation() {}

  /** Why Envoy would reject {@code route}; empty when it would accept it. */
  public static List<String> problems(Route route) {
    List<String> out = new ArrayList<>(ProtoRules.violations(route));
    match(route, out::add);
    headers(route.getRequestHeadersToAddList(), route.getRequestHeadersToRemoveList(), "request", out::add);
    headers(route.getResponseHeadersToAddList(), route.getResponseHeadersToRemoveList(), "response", out::add);
    switch (route.getActionCase()) {
      case ROUTE -> action(route.getRoute(), out::add);
      case REDIRECT -> { }
      case DIRECT_RESPONSE -> {
        if (route.getDirectResponse().getBody().getInlineBytes().size()
            + route.getDirectResponse().getBody().getInlineString().length() > OutboundRoutes.MAX_DIRECT_RESPONSE_BODY) {
          out.add("direct response body is larger than " + OutboundRoutes.MAX_DIRECT_RESPONSE_BODY + " bytes");
        }
      }
      default -> out.add("route has no action");
    }
    perFilterConfig(route, out::add);
    return out;
  }

  /**
   * Drops the routes and virtual hosts Envoy would reject: routes with {@link #problems}, virtual
   * hosts left without domains by a domain an earlier one claimed, or without a name.
   */
  public static Checked check(RouteConfiguration config) {
    List<String> problems = new ArrayList<>();
    RouteConfiguration.Builder out = config.toBuilder().clearVirtualHosts();
    Set<String> names = new HashSet<>();
    Set<String> domains = new HashSet<>();
    for (VirtualHost vh : config.getVirtualHostsList()) {
      VirtualHost.Builder kept = vh.toBuilder().clearRoutes().clearDomains();
      for (Route r : vh.getRoutesList()) {
        List<String> p = problems(r);
        if (p.isEmpty()) {
          kept.addRoutes(r);
        } else {
          problems.add(vh.getName() + " route '" + r.getName() + "': " + String.join("; ", p));
        }
      }
      for (String d : vh.getDomainsList()) {
        if (domains.add(d.toLowerCase(Locale.ROOT))) {
          kept.addDomains(d);
        } else {
          problems.add(vh.getName() + ": duplicate domain " + d + " dropped");
        }
      }
      if (vh.getName().isEmpty() || !names.add(vh.getName()) || kept.getDomainsCount() == 0) {
        problems.add("virtual host '" + vh.getName() + "' dropped: empty or duplicate name, or no domains left");
        continue;
      }
      out.addVirtualHosts(kept);
    }
    return new Checked(out.build(), problems);
  }

  private static void match(Route route, Consumer<String> out) {
    var m = route.getMatch();
    switch (m.getPathSpecifierCase()) {
      case SAFE_REGEX -> Re2Regexes.problem(m.getSafeRegex().getRegex()).ifPresent(out);
      case PATHSPECIFIER_NOT_SET -> out.accept("route match has no path specifier");
      default -> { }
    }
    for (HeaderMatcher h : m.getHeadersList()) {
      if (h.hasStringMatch()) {
        stringMatcher(h.getStringMatch(), out);
      }
    }
    for (QueryParameterMatcher q : m.getQueryParametersList()) {
      if (q.hasStringMatch()) {
        stringMatcher(q.getStringMatch(), out);
      }
    }
  }

  /** A {@code StringMatcher}'s regex, which Envoy compiles with RE2 (the proto rules cover the rest). */
  static void stringMatcher(StringMatcher m, Consumer<String> out) {
    if (m.hasSafeRegex()) {
      Re2Regexes.problem(m.getSafeRegex().getRegex()).ifPresent(out);
    }
  }

  private static void action(RouteAction a, Consumer<String> out) {
    if (a.hasWeightedClusters()) {
      weighted(a.getWeightedClusters(), out);
    }
    if (!a.getPrefixRewrite().isEmpty() && a.hasRegexRewrite()) {
      out.accept("prefix_rewrite and regex_rewrite are exclusive");
    }
    if (a.hasRegexRewrite()) {
      Re2Regexes.problem(a.getRegexRewrite().getPattern().getRegex()).ifPresent(out);
    }
    // Envoy's duration conversion refuses negative values even where the proto sets no bound.
    nonNegative(a.getTimeout(), "timeout", out);
    nonNegative(a.getMaxGrpcTimeout(), "max gRPC timeout", out);
    if (a.hasRetryPolicy()) {
      nonNegative(a.getRetryPolicy().getPerTryTimeout(), "per-try timeout", out);
    }
  }

  private static void weighted(WeightedCluster w, Consumer<String> out) {
    long total = 0;
    for (WeightedCluster.ClusterWeight c : w.getClustersList()) {
      total += c.getWeight().getValue();
      headers(c.getRequestHeadersToAddList(), c.getRequestHeadersToRemoveList(), "request", out);
      headers(c.getResponseHeadersToAddList(), c.getResponseHeadersToRemoveList(), "response", out);
    }
    if (w.getClustersCount() == 0 || total == 0) {
      out.accept("weighted clusters need a total weight above 0");
    } else if (total > 0xFFFFFFFFL) {
      out.accept("total weight " + total + " exceeds 2^32-1");
    }
  }

  private static void headers(List<HeaderValueOption> add, List<String> remove, String side, Consumer<String> out) {
    for (HeaderValueOption h : add) {
      String name = h.getHeader().getKey();
      if (HeaderOperations.isInternal(name)) {
        out.accept(side + " header " + name + " cannot be modified");
      }
      substitutions(h.getHeader().getValue(), side + " header " + name, out);
    }
    for (String name : remove) {
      if (HeaderOperations.isInternal(name)) {
        out.accept(side + " header " + name + " cannot be removed");
      }
    }
  }

  /** Header values are Envoy substitution formats: a lone {@code %} is an error ({@code %%} is a percent sign). */
  static void substitutions(String value, String what, Consumer<String> out) {
    int i = value.indexOf('%');
    while (i >= 0) {
      Matcher m = SUBSTITUTION.matcher(value).region(i, value.length());
      if (!m.lookingAt()) {
        out.accept(what + ": '%' at position " + i + " starts no %COMMAND% (write %% for a percent sign)");
        return;
      }
      i = value.indexOf('%', m.end());
    }
  }

  private static void perFilterConfig(Route route, Consumer<String> out) {
    try {
      Any cors = route.getTypedPerFilterConfigMap().get(Filters.CORS);
      if (cors != null) {
        for (StringMatcher m : cors.unpack(CorsPolicy.class).getAllowOriginStringMatchList()) {
          stringMatcher(m, out);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      out.accept("unreadable per-filter config: " + e.getMessage());
    }
  }

  private static void nonNegative(Duration d, String what, Consumer<String> out) {
    if (d.getSeconds() < 0 || d.getNanos() < 0) {
      out.accept(what + " is negative");
    }
  }

}

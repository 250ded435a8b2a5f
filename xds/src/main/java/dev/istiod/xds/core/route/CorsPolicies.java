package dev.istiod.xds.core.route;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import dev.istiod.api.networking.v1alpha3.CorsPolicy;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;

/**
 * {@code corsPolicy} as upstream's {@code TranslateCORSPolicy}: a per-route
 * {@code envoy.filters.http.cors} policy, enabled for 100% of requests. Origins are string
 * matches ({@code allowOrigins}, else the deprecated exact {@code allowOrigin} list); methods and
 * headers are joined with commas; {@code maxAge} is whole seconds; preflights that match no
 * origin are forwarded to the backend unless {@code unmatchedPreflights: IGNORE}.
 */
final class CorsPolicies {
  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.http().hasCorsPolicy()) {
      route.putTypedPerFilterConfig(Filters.CORS, Any.pack(translate(ctx.http().getCorsPolicy())));
    }
  };

  private CorsPolicies() {}

  static io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy translate(CorsPolicy in) {
    var out = io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.newBuilder()
        .setForwardNotMatchingPreflights(BoolValue.of(in.getUnmatchedPreflights() != CorsPolicy.UnmatchedPreflights.IGNORE))
        .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(Mirrors.percentOf100(100)));
    if (in.getAllowOriginsCount() > 0) {
      for (StringMatch m : in.getAllowOriginsList()) {
        if (m.getMatchTypeCase() != StringMatch.MatchTypeCase.MATCHTYPE_NOT_SET) {
          out.addAllowOriginStringMatch(RouteMatches.stringMatcher(m));
        }
      }
    } else {
      in.getAllowOriginList().forEach(o -> out.addAllowOriginStringMatch(StringMatcher.newBuilder().setExact(o)));
    }
    if (in.hasAllowCredentials()) {
      out.setAllowCredentials(in.getAllowCredentials());
    }
    out.setAllowHeaders(String.join(",", in.getAllowHeadersList()))
        .setAllowMethods(String.join(",", in.getAllowMethodsList()))
        .setExposeHeaders(String.join(",", in.getExposeHeadersList()));
    if (in.hasMaxAge()) {
      out.setMaxAge(Long.toString(in.getMaxAge().getSeconds()));
    }
    return out.build();
  }
}

package dev.istiod.xds.core.route;

import dev.istiod.api.networking.v1alpha3.HTTPRewrite;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;

/**
 * {@code rewrite} as upstream's {@code applyHTTPRouteDestination}: {@code uriRegexRewrite} becomes
 * {@code regex_rewrite}, else {@code uri} becomes {@code prefix_rewrite}; the host is rewritten to
 * {@code rewrite.authority}, else to an {@code :authority}/{@code host} the route's {@code headers}
 * set. A rewrite also appends {@code x-forwarded-host} when the proxy config asks for it.
 */
final class Rewrites {
  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.answersDirectly()) {
      return;
    }
    RouteAction.Builder action = route.getRouteBuilder();
    String authority = ctx.http().hasHeaders() ? HeaderOperations.of(ctx.http().getHeaders()).authority() : "";
    if (ctx.http().hasRewrite()) {
      HTTPRewrite rewrite = ctx.http().getRewrite();
      if (appendForwardedHost(ctx)) {
        action.setAppendXForwardedHost(true);
      }
      if (rewrite.hasUriRegexRewrite()) {
        action.setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
            .setPattern(RegexMatcher.newBuilder().setRegex(rewrite.getUriRegexRewrite().getMatch()))
            .setSubstitution(rewrite.getUriRegexRewrite().getRewrite()));
      } else if (!rewrite.getUri().isEmpty()) {
        action.setPrefixRewrite(rewrite.getUri());
      }
      if (!rewrite.getAuthority().isEmpty()) {
        authority = rewrite.getAuthority();
      }
    }
    if (!authority.isEmpty()) {
      action.setHostRewriteLiteral(authority);
    }
  };

  private Rewrites() {}

  /** {@code proxyHeaders.xForwardedHost.enabled} of the mesh's default proxy config. */
  private static boolean appendForwardedHost(RouteContributor.Context ctx) {
    return ctx.inputs().mesh().getDefaultConfig().getProxyHeaders().getXForwardedHost().getEnabled().getValue();
  }
}

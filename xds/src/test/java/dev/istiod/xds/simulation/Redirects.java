package dev.istiod.xds.simulation;

import com.google.re2j.Pattern;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;

/**
 * The Location Envoy sends for a {@code redirect} action: scheme ({@code https_redirect} /
 * {@code scheme_redirect}), host ({@code host_redirect}, else the request's, dropping its port
 * when a port is redirected or when the scheme changes away from that port's default), port
 * ({@code port_redirect}) and path ({@code path_redirect}, {@code prefix_rewrite} of the matched
 * prefix, {@code regex_rewrite}; the query is kept unless {@code strip_query} or the new path
 * carries its own).
 */
final class Redirects {
  private Redirects() {}

  static Action.Redirect of(RedirectAction r, RouteMatch match, Request request) {
    String scheme = r.getHttpsRedirect() ? "https"
        : !r.getSchemeRedirect().isEmpty() ? r.getSchemeRedirect() : request.scheme();
    String port = r.getPortRedirect() != 0 ? ":" + r.getPortRedirect() : "";
    String host;
    if (!r.getHostRedirect().isEmpty()) {
      host = r.getHostRedirect();
    } else {
      host = request.authority();
      int p = HostPort.port(host);
      boolean drop = !port.isEmpty()
          || (!scheme.equals(request.scheme()) && ((request.scheme().equals("http") && p == 80)
              || (request.scheme().equals("https") && p == 443)));
      if (p >= 0 && drop) {
        host = HostPort.withoutPort(host);
      }
    }
    if ((scheme.equals("https") && port.equals(":443")) || (scheme.equals("http") && port.equals(":80"))) {
      port = "";
    }
    return new Action.Redirect(status(r.getResponseCode()), scheme + "://" + host + port + path(r, match, request));
  }

  private static String path(RedirectAction r, RouteMatch match, Request request) {
    String query = r.getStripQuery() || request.query().isEmpty() ? "" : "?" + request.query();
    return switch (r.getPathRewriteSpecifierCase()) {
      // An empty path_redirect keeps the request's path, as Envoy treats an unset one.
      case PATH_REDIRECT -> r.getPathRedirect().isEmpty() ? request.pathOnly() + query
          : r.getPathRedirect().contains("?") ? r.getPathRedirect() : r.getPathRedirect() + query;
      case PREFIX_REWRITE -> {
        String p = request.pathOnly();
        String prefix = match.hasPrefix() ? match.getPrefix() : "";
        yield r.getPrefixRewrite() + p.substring(Math.min(prefix.length(), p.length())) + query;
      }
      case REGEX_REWRITE -> Pattern.compile(r.getRegexRewrite().getPattern().getRegex()).matcher(request.pathOnly())
          .replaceAll(r.getRegexRewrite().getSubstitution().replaceAll("\\\\(\\d)", "\\$$1")) + query;
      case PATHREWRITESPECIFIER_NOT_SET -> request.pathOnly() + query;
    };
  }

  static int status(RedirectAction.RedirectResponseCode code) {
    return switch (code) {
      case MOVED_PERMANENTLY -> 301;
      case FOUND -> 302;
      case SEE_OTHER -> 303;
      case TEMPORARY_REDIRECT -> 307;
      case PERMANENT_REDIRECT -> 308;
      case UNRECOGNIZED -> throw new IllegalStateException("unknown redirect response code");
    };
  }
}

package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.f6;
import static dev.istiod.configstore.validation.Issues.num;
import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.networking.v1alpha3.CorsPolicy;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPDirectResponse;
import dev.istiod.api.networking.v1alpha3.HTTPFaultInjection;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPMirrorPolicy;
import dev.istiod.api.networking.v1alpha3.HTTPRedirect;
import dev.istiod.api.networking.v1alpha3.HTTPRetry;
import dev.istiod.api.networking.v1alpha3.HTTPRewrite;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.api.networking.v1alpha3.Percent;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The rules for one HTTP route of a VirtualService (upstream's validateHTTPRoute). */
final class HttpRouteChecks {
  private static final Set<String> RETRY_ON = Set.of("5xx", "gateway-error", "reset",
      "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
      "retriable-status-codes", "retriable-headers", "envoy-ratelimited",
      "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal",
      "resource-exhausted", "unavailable");
  private static final Set<String> GRPC_STATUS = Set.of("OK", "CANCELLED", "UNKNOWN",
      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED");
  private static final int KB = 1024;
  private static final int MB = 1024 * KB;

  /** Whether the route belongs to a delegate VirtualService, delegates, or stands alone. */
  enum RouteType { INDEPENDENT, ROOT, DELEGATE }

  private HttpRouteChecks() {}

  static void route(Issues issues, HTTPRoute http, boolean delegate, boolean gatewaySemantics) {
    RouteType type = delegate ? RouteType.DELEGATE : http.hasDelegate() ? RouteType.ROOT : RouteType.INDEPENDENT;
    conflicts(issues, http, type);
    matchRequests(issues, http.getMatchList());
    if (http.hasHeaders()) {
      HttpChecks.headers(issues, http.getHeaders());
    }
    if (http.hasCorsPolicy()) {
      cors(issues, http.getCorsPolicy());
    }
    if (http.hasFault()) {
      fault(issues, http.getFault());
    }
    if (http.hasMirrorPercent()) {
      int value = http.getMirrorPercent().getValue();
      if (Integer.compareUnsigned(value, 100) > 0) {
        issues.error("mirror_percent must have a max value of 100 (it has " + Integer.toUnsignedString(value) + ")");
      }
      issues.warn("using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead");
    }
    if (http.hasMirrorPercentage()) {
      double value = http.getMirrorPercentage().getValue();
      if (value > 100) {
        issues.error("mirror_percentage must have a max value of 100 (it has " + f6(value) + ")");
      }
      if (value < 0) {
        issues.error("mirror_percentage must have a min value of 0 (it has " + f6(value) + ")");
      }
    }
    if (http.hasMirror()) {
      destination(issues, http.getMirror());
    }
    mirrors(issues, http.getMirrorsList());
    if (http.hasRedirect()) {
      issues.error(redirect(http.getRedirect(), http.getMatchList()));
    }
    if (http.hasDirectResponse()) {
      directResponse(issues, http.getDirectResponse());
    }
    if (http.hasRetries()) {
      retry(issues, http.getRetries());
    }
    if (http.hasRewrite()) {
      rewrite(issues, http.getRewrite());
    }
    authorityRewrite(issues, http);
    destinations(issues, http.getRouteList(), gatewaySemantics);
    if (http.hasTimeout()) {
      issues.error(Common.duration(http.getTimeout()));
    }
  }

  private static void conflicts(Issues issues, HTTPRoute http, RouteType type) {
    if (type == RouteType.ROOT) {
      // A root route only delegates; what to do with the request is the delegate's business.
      if (http.hasRedirect()) {
        issues.error("root HTTP route " + http.getName() + " must not specify redirect");
      }
      if (http.getRouteCount() > 0) {
        issues.error("root HTTP route " + http.getName() + " must not specify route");
      }
      return;
    }
    if (type == RouteType.DELEGATE && http.hasDelegate()) {
      issues.error("delegate HTTP route cannot contain delegate");
    }
    if (http.hasRedirect()) {
      if (http.getRouteCount() > 0) {
        issues.error("HTTP route cannot contain both route and redirect");
      }
      if (http.hasFault()) {
        issues.error("HTTP route cannot contain both fault and redirect");
      }
      if (http.hasRewrite()) {
        issues.error("HTTP route rule cannot contain both rewrite and redirect");
      }
      if (http.hasDirectResponse()) {
        issues.error("HTTP route rule cannot contain both direct_response and redirect");
      }
    } else if (http.hasDirectResponse()) {
      if (http.getRouteCount() > 0) {
        issues.error("HTTP route cannot contain both route and direct_response");
      }
      if (http.hasFault()) {
        issues.error("HTTP route cannot contain both fault and direct_response");
      }
      if (http.hasRewrite()) {
        issues.error("HTTP route rule cannot contain both rewrite and direct_response");
      }
    } else if (http.getRouteCount() == 0) {
      issues.error("HTTP route, redirect or direct_response is required");
    }
    if (http.hasMirror() && http.getMirrorsCount() > 0) {
      issues.error("HTTP route cannot contain both mirror and mirrors");
    }
  }

  private static void matchRequests(Issues issues, List<HTTPMatchRequest> matches) {
    for (HTTPMatchRequest m : matches) {
      m.getHeadersMap().forEach((name, sm) -> {
        issues.error(HttpChecks.headerNameOrJwtClaim(name));
        issues.error(HttpChecks.stringMatch(sm, "headers"));
      });
      m.getWithoutHeadersMap().forEach((name, sm) -> {
        issues.error(HttpChecks.headerNameOrJwtClaim(name));
        // A bare "*" is not a regex: it means "header present".
        if (!"*".equals(sm.getRegex())) {
          issues.error(HttpChecks.stringMatch(sm, "withoutHeaders"));
        }
      });
      if (m.hasUri()) {
        issues.error(HttpChecks.stringMatchRegex(m.getUri(), "uri"));
      }
      if (m.hasScheme()) {
        issues.error(HttpChecks.stringMatch(m.getScheme(), "scheme"));
      }
      if (m.hasMethod()) {
        issues.error(HttpChecks.stringMatch(m.getMethod(), "method"));
      }
      if (m.hasAuthority()) {
        issues.error(HttpChecks.stringMatch(m.getAuthority(), "authority"));
      }
      for (StringMatch qp : m.getQueryParamsMap().values()) {
        issues.error(HttpChecks.stringMatch(qp, "queryParams"));
      }
    }
    for (HTTPMatchRequest m : matches) {
      if (m.getPort() != 0) {
        issues.error(Common.port(Integer.toUnsignedLong(m.getPort())));
      }
      issues.errors(Common.labels(m.getSourceLabelsMap()));
      Common.gatewayNames(issues, m.getGatewaysList(), false);
      if (!m.getSourceNamespace().isEmpty() && !HostNames.isDns1123Label(m.getSourceNamespace())) {
        issues.error("sourceNamespace match " + m.getSourceNamespace() + " is invalid");
      }
    }
  }

  private static void cors(Issues issues, CorsPolicy policy) {
    for (StringMatch origin : policy.getAllowOriginsList()) {
      String match = switch (origin.getMatchTypeCase()) {
        case EXACT -> origin.getExact();
        case PREFIX -> origin.getPrefix();
        case REGEX -> origin.getRegex();
        default -> "";
      };
      if (match.isEmpty()) {
        issues.error("'" + match + "' is not a valid match type for CORS allow origins");
      } else {
        issues.error(HttpChecks.stringMatchRegex(origin, "corsPolicy.allowOrigins"));
      }
    }
    for (String method : policy.getAllowMethodsList()) {
      if (!HttpChecks.CORS_METHODS.contains(method)) {
        issues.error(q(method) + " is not a supported HTTP method");
      }
    }
    policy.getAllowHeadersList().forEach(h -> issues.error(HttpChecks.corsHeaderName(h)));
    policy.getExposeHeadersList().forEach(h -> issues.error(HttpChecks.corsHeaderName(h)));
    if (policy.hasMaxAge()) {
      issues.error(Common.duration(policy.getMaxAge()));
      if (policy.getMaxAge().getNanos() > 0) {
        issues.error("max_age duration is accurate only to seconds precision");
      }
    }
  }

  private static void fault(Issues issues, HTTPFaultInjection fault) {
    if (!fault.hasAbort() && !fault.hasDelay()) {
      issues.error("HTTP fault injection must have an abort and/or a delay");
    }
    if (fault.hasAbort()) {
      HTTPFaultInjection.Abort abort = fault.getAbort();
      if (abort.hasPercentage()) {
        issues.error(percentage(abort.getPercentage()));
      }
      switch (abort.getErrorTypeCase()) {
        case GRPC_STATUS -> {
          if (!GRPC_STATUS.contains(abort.getGrpcStatus())) {
            issues.error("gRPC status " + q(abort.getGrpcStatus()) + " is not supported. See "
                + "https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported "
                + "codes, for example 'NOT_FOUND'");
          }
        }
        case HTTP2_ERROR -> issues.error("HTTP/2 abort fault injection not supported yet");
        case HTTP_STATUS -> issues.error(httpStatus(abort.getHttpStatus()));
        default -> issues.warn("abort configured, but error type not set");
      }
    }
    if (fault.hasDelay()) {
      HTTPFaultInjection.Delay delay = fault.getDelay();
      if (delay.hasPercentage()) {
        issues.error(percentage(delay.getPercentage()));
      }
      switch (delay.getHttpDelayTypeCase()) {
        case FIXED_DELAY -> issues.error(Common.duration(delay.getFixedDelay()));
        case EXPONENTIAL_DELAY -> {
          issues.error(Common.duration(delay.getExponentialDelay()));
          issues.error("exponentialDelay not supported yet");
        }
        default -> { }
      }
    }
  }

  static Optional<String> percentage(Percent p) {
    double v = p.getValue();
    if (v < 0.0 || v > 100.0 || (v > 0.0 && v < 0.0001)) {
      return Optional.of("percentage " + num(v) + " is neither 0.0, nor in range [0.0001, 100.0]");
    }
    return Optional.empty();
  }

  private static Optional<String> httpStatus(int status) {
    if (status < 200 || status > 600) {
      return Optional.of("HTTP status " + status + " is not in range 200-599");
    }
    return Optional.empty();
  }

  private static void mirrors(Issues issues, List<HTTPMirrorPolicy> mirrors) {
    for (HTTPMirrorPolicy m : mirrors) {
      if (!m.hasDestination()) {
        issues.error("destination is required for mirrors");
        continue;
      }
      destination(issues, m.getDestination());
      if (m.hasPercentage()) {
        double v = m.getPercentage().getValue();
        if (v > 100) {
          issues.error("mirror percentage must have a max value of 100 (it has " + f6(v) + ")");
        }
        if (v < 0) {
          issues.error("mirror percentage must have a min value of 0 (it has " + f6(v) + ")");
        }
      }
    }
  }

  private static Optional<String> redirect(HTTPRedirect r, List<HTTPMatchRequest> matches) {
    if (!r.getUri().isEmpty() && !r.getPrefixRewrite().isEmpty()) {
      return Optional.of("redirect may only specify one of uri or prefix_rewrite");
    }
    if (!r.getPrefixRewrite().isEmpty()) {
      for (HTTPMatchRequest m : matches) {
        if (m.hasUri() && m.getUri().getMatchTypeCase() != StringMatch.MatchTypeCase.PREFIX) {
          return Optional.of("redirect prefix_rewrite requires all URI matches to use prefix match type");
        }
      }
    }
    boolean hasPort = r.getRedirectPortCase() != HTTPRedirect.RedirectPortCase.REDIRECTPORT_NOT_SET;
    if (r.getUri().isEmpty() && r.getPrefixRewrite().isEmpty() && r.getAuthority().isEmpty() && !hasPort
        && r.getScheme().isEmpty()) {
      return Optional.of("redirect must specify URI, authority, scheme, or port");
    }
    int code = r.getRedirectCode();
    if (code != 0 && (code < 300 || code > 399)) {
      return Optional.of(Integer.toUnsignedString(code) + " is not a valid redirect code, must be 3xx");
    }
    if (!r.getScheme().isEmpty() && !r.getScheme().equals("http") && !r.getScheme().equals("https")) {
      return Optional.of("invalid redirect scheme, must be \"http\" or \"https\"");
    }
    if (r.getPort() > 0) {
      return Common.port(Integer.toUnsignedLong(r.getPort()));
    }
    return Optional.empty();
  }

  private static void directResponse(Issues issues, HTTPDirectResponse dr) {
    if (dr.hasBody()) {
      int size = switch (dr.getBody().getSpecifierCase()) {
        case STRING -> dr.getBody().getString().length();
        case BYTES -> dr.getBody().getBytes().size();
        default -> 0;
      };
      if (size > MB) {
        issues.error("large direct_responses may impact control plane performance, must be less than 1MB");
      } else if (size > 100 * KB) {
        issues.warn("large direct_responses may impact control plane performance");
      }
    }
    issues.error(httpStatus(dr.getStatus()));
  }

  static void retry(Issues issues, HTTPRetry r) {
    if (r.getAttempts() < 0) {
      issues.error("attempts cannot be negative");
    }
    if (r.getAttempts() == 0 && (r.hasPerTryTimeout() || !r.getRetryOn().isEmpty() || r.hasRetryRemoteLocalities())) {
      issues.error("http retry policy configured when attempts are set to 0 (disabled)");
    }
    if (r.hasPerTryTimeout()) {
      issues.error(Common.duration(r.getPerTryTimeout()));
    }
    if (!r.getRetryOn().isEmpty()) {
      for (String policy : r.getRetryOn().split(",", -1)) {
        if (!HttpStatus.isKnown(policy) && !RETRY_ON.contains(policy)) {
          issues.error(q(policy) + " is not a valid retryOn policy");
        }
      }
    }
    if (r.hasBackoff()) {
      issues.error(Common.duration(r.getBackoff()));
    }
  }

  private static void rewrite(Issues issues, HTTPRewrite rw) {
    if (!rw.getUri().isEmpty() && rw.hasUriRegexRewrite()) {
      issues.error("rewrite may only contain one of URI or UriRegexRewrite");
      return;
    }
    if (rw.getUri().isEmpty() && !rw.hasUriRegexRewrite() && rw.getAuthority().isEmpty()) {
      issues.error("rewrite must specify at least one of URI, UriRegexRewrite, or authority. "
          + "Only one of URI or UriRegexRewrite may be specified");
      return;
    }
    if (rw.hasUriRegexRewrite()) {
      var rr = rw.getUriRegexRewrite();
      if (rr.getMatch().isEmpty() || rr.getRewrite().isEmpty()) {
        issues.error("UriRegexRewrite has errors\n"
            + "UriRegexRewrite requires both Rewrite and Match fields to be specified");
      } else {
        HttpChecks.regex(rr.getMatch(), "HTTPRewrite.UriRegexRewrite.Match")
            .ifPresent(e -> issues.error("UriRegexRewrite has errors\n" + e));
      }
    }
  }

  /** The authority may be rewritten in one place only: rewrite.authority or one header. */
  private static void authorityRewrite(Issues issues, HTTPRoute http) {
    String current = http.getRewrite().getAuthority();
    for (Map<String, String> ops : List.of(http.getHeaders().getRequest().getSetMap(),
        http.getHeaders().getRequest().getAddMap())) {
      for (Map.Entry<String, String> e : ops.entrySet()) {
        if (!HttpChecks.isAuthorityHeader(e.getKey())) {
          continue;
        }
        if (!current.isEmpty()) {
          issues.error("authority header cannot be set multiple times: have " + q(current)
              + ", attempting to set " + q(e.getValue()));
          return;
        }
        current = e.getValue();
      }
    }
  }

  /**
   * Destinations of one HTTP route. Weights are relative (each destination gets
   * {@code weight / sum}), as upstream since Istio 1.15: they need not add up to 100.
   */
  static void destinations(Issues issues, List<HTTPRouteDestination> routes, boolean gatewaySemantics) {
    long total = 0;
    for (HTTPRouteDestination d : routes) {
      if (!d.hasDestination()) {
        issues.error("destination is required");
      }
      if (d.hasHeaders()) {
        HttpChecks.headers(issues, d.getHeaders());
      }
      if (!gatewaySemantics && d.hasDestination()) {
        destination(issues, d.getDestination());
      }
      weight(issues, d.getWeight());
      total += d.getWeight();
    }
    totalWeight(issues, routes.size(), total);
  }

  static void weight(Issues issues, int weight) {
    if (weight < 0) {
      issues.error("weight " + weight + " < 0");
    }
  }

  /** A split must send traffic somewhere: only an all-zero split of several destinations is invalid. */
  static void totalWeight(Issues issues, int destinations, long total) {
    if (destinations > 1 && total == 0) {
      issues.error("total destination weight = 0");
    }
  }

  static void destination(Issues issues, Destination d) {
    if (d.getHost().equals("*")) {
      issues.error("invalid destination host " + d.getHost());
    } else {
      issues.error(HostNames.wildcardDomain(d.getHost()));
    }
    if (!d.getSubset().isEmpty()) {
      issues.error(subsetName(d.getSubset()));
    }
    if (d.hasPort()) {
      issues.error(Common.port(Integer.toUnsignedLong(d.getPort().getNumber())));
    }
  }

  static Optional<String> subsetName(String name) {
    if (name.isEmpty()) {
      return Optional.of("subset name cannot be empty");
    }
    if (!HostNames.isDns1123Label(name)) {
      return Optional.of("subset name is invalid: " + name);
    }
    return Optional.empty();
  }
}

package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.istiod.api.networking.v1alpha3.Headers;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import java.util.Optional;
import java.util.Set;

/** Header names and values, and string matches (with RE2 regexes), as used in HTTP routes. */
final class HttpChecks {
  private static final java.util.regex.Pattern HEADER_NAME =
      java.util.regex.Pattern.compile("^[!#$%&'*+\\-.^_`|~A-Za-z0-9]+$");
  private static final java.util.regex.Pattern STRICT_HEADER_NAME =
      java.util.regex.Pattern.compile("^[-_A-Za-z0-9]+$");
  private static final Set<String> PSEUDO_HEADERS =
      Set.of(":method", ":scheme", ":authority", ":path", ":status");
  /** Envoy limits regex program size; upstream approximates it with the regex length. */
  private static final int MAX_REGEX_LENGTH = 1024;

  private HttpChecks() {}

  static Optional<String> strictHeaderName(String name) {
    if (name.isEmpty()) {
      return Optional.of("header name cannot be empty");
    }
    if (!STRICT_HEADER_NAME.matcher(name).matches()) {
      return Optional.of("header name " + name + " is not a valid header name");
    }
    return Optional.empty();
  }

  static Optional<String> corsHeaderName(String name) {
    if (name.isEmpty()) {
      return Optional.of("header name cannot be empty");
    }
    if (name.equals("*") || HEADER_NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    return Optional.of("header name " + name + " is not a valid header name");
  }

  /** Header names in matches: a header, a pseudo-header, or a JWT claim ({@code @request.auth.claims.x}). */
  static Optional<String> headerNameOrJwtClaim(String name) {
    if (name.isEmpty()) {
      return Optional.of("header name cannot be empty");
    }
    if (isJwtClaimRoute(name) || PSEUDO_HEADERS.contains(name) || HEADER_NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    return Optional.of("header name " + name + " is not a valid header name");
  }

  static boolean isJwtClaimRoute(String name) {
    return name.startsWith("@request.auth.claims.") || name.startsWith("@request.auth.claims[");
  }

  private static boolean isInternalHeader(String name) {
    return name.startsWith(":") || name.equalsIgnoreCase("host");
  }

  static boolean isAuthorityHeader(String name) {
    return name.equalsIgnoreCase(":authority") || name.equalsIgnoreCase("host");
  }

  /** Names of request headers being added or set; the authority may be rewritten here. */
  static Optional<String> headerWithAuthorityOperationName(String name) {
    if (name.isEmpty()) {
      return Optional.of("header name cannot be empty");
    }
    if (isInternalHeader(name) && !isAuthorityHeader(name)) {
      return Optional.of("invalid header " + q(name) + ": header cannot have \":\" prefix");
    }
    return Optional.empty();
  }

  /** Names of headers removed from requests, or changed in responses. */
  static Optional<String> headerOperationName(String name) {
    if (name.isEmpty()) {
      return Optional.of("header name cannot be empty");
    }
    if (name.equalsIgnoreCase("host")) {
      return Optional.of("invalid header " + q(name) + ": cannot set Host header");
    }
    if (isInternalHeader(name)) {
      return Optional.of("invalid header " + q(name) + ": header cannot have \":\" prefix");
    }
    return Optional.empty();
  }

  /** A header value: no control characters, and {@code %} only as {@code %%} or {@code %VAR%}. */
  static Optional<String> headerValue(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f) {
        return Optional.of("header value configuration " + value + " is invalid");
      }
    }
    boolean inVariable = false;
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) != '%') {
        continue;
      }
      if (inVariable) {
        inVariable = false;
      } else if (i + 1 >= value.length()) {
        return Optional.of("header value configuration: invalid header configuration. Un-escaped %");
      } else if (value.charAt(i + 1) == '%') {
        i++;
      } else {
        inVariable = true;
      }
    }
    if (inVariable) {
      return Optional.of("header value configuration: invalid header configuration. "
          + "Un-terminated variable expression '" + value + "'");
    }
    return Optional.empty();
  }

  /** All header operations of a route or a destination. */
  static void headers(Issues issues, Headers headers) {
    Headers.HeaderOperations req = headers.getRequest();
    req.getAddMap().forEach((n, v) -> {
      issues.error(headerWithAuthorityOperationName(n));
      issues.error(headerValue(v));
    });
    req.getSetMap().forEach((n, v) -> {
      issues.error(headerWithAuthorityOperationName(n));
      issues.error(headerValue(v));
    });
    req.getRemoveList().forEach(n -> issues.error(headerOperationName(n)));
    Headers.HeaderOperations resp = headers.getResponse();
    resp.getAddMap().forEach((n, v) -> {
      issues.error(headerOperationName(n));
      issues.error(headerValue(v));
    });
    resp.getSetMap().forEach((n, v) -> {
      issues.error(headerOperationName(n));
      issues.error(headerValue(v));
    });
    resp.getRemoveList().forEach(n -> issues.error(headerOperationName(n)));
  }

  /** A string match where an empty prefix is not allowed (scheme, method, headers...). */
  static Optional<String> stringMatch(StringMatch sm, String where) {
    if (sm.getMatchTypeCase() == StringMatch.MatchTypeCase.PREFIX && sm.getPrefix().isEmpty()) {
      return Optional.of(q(where) + ": prefix string match should not be empty");
    }
    return stringMatchRegex(sm, where);
  }

  /** Only the regex variant of a string match is checked (the URI allows an empty prefix). */
  static Optional<String> stringMatchRegex(StringMatch sm, String where) {
    if (sm.getMatchTypeCase() != StringMatch.MatchTypeCase.REGEX) {
      return Optional.empty();
    }
    if (sm.getRegex().isEmpty()) {
      return Optional.of(q(where) + ": regex string match should not be empty");
    }
    return regex(sm.getRegex(), where);
  }

  /**
   * Compiles with RE2 semantics (Envoy's engine), so a regex that Java accepts but RE2 does not
   * (lookaheads, backreferences) is rejected here rather than NACKed by every proxy.
   */
  static Optional<String> regex(String re, String where) {
    if (re.length() > MAX_REGEX_LENGTH) {
      return Optional.of(q(where) + ": regex is too large, max length allowed is " + MAX_REGEX_LENGTH);
    }
    try {
      Pattern.compile(re);
      return Optional.empty();
    } catch (PatternSyntaxException e) {
      String detail = e.getMessage() == null ? "invalid regex" : e.getMessage();
      return Optional.of(q(where) + ": " + detail + " in regex " + q(re)
          + "; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)");
    }
  }

  static final Set<String> CORS_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*");
}

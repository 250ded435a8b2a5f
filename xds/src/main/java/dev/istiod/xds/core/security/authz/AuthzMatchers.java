package dev.istiod.xds.core.security.authz;

import dev.istiod.model.push.Hosts;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Envoy matchers AuthorizationPolicy values turn into, with upstream's wildcard rules: {@code *}
 * alone is "any non-empty value" (regex {@code .+}), a leading {@code *} a suffix match, a trailing
 * one a prefix match, anything else an exact match.
 */
final class AuthzMatchers {
  /** The filter whose dynamic metadata holds verified JWT payloads, keyed by issuer (jwt_authn's {@code payload_in_metadata}). */
  static final String JWT_AUTHN_FILTER = "envoy.filters.http.jwt_authn";
  static final String SPIFFE_PREFIX = "spiffe://";

  private AuthzMatchers() {}

  static StringMatcher regex(String regex) {
    return StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(regex)).build();
  }

  static StringMatcher exact(String v) {
    return StringMatcher.newBuilder().setExact(v).build();
  }

  /** Upstream's wildcard rules, with {@code prefix} put in front of everything but a lone {@code *}. */
  static StringMatcher withPrefix(String v, String prefix) {
    if (v.equals("*")) {
      return regex(".+");
    }
    if (v.startsWith("*")) {
      return prefix.isEmpty() ? StringMatcher.newBuilder().setSuffix(v.substring(1)).build()
          : regex(Pattern.quote(prefix) + ".*" + Pattern.quote(v.substring(1)));
    }
    if (v.endsWith("*")) {
      return StringMatcher.newBuilder().setPrefix(prefix + v.substring(0, v.length() - 1)).build();
    }
    return exact(prefix + v);
  }

  static StringMatcher plain(String v) {
    return withPrefix(v, "");
  }

  /** A peer's SPIFFE identity: the value as written in the policy, with the {@code spiffe://} scheme added. */
  static StringMatcher principal(String v) {
    return withPrefix(v.startsWith(SPIFFE_PREFIX) ? v.substring(SPIFFE_PREFIX.length()) : v, SPIFFE_PREFIX);
  }

  /** Any identity of the namespace ({@code *} in the name matches any run of characters). */
  static StringMatcher namespace(String ns) {
    String quoted = String.join(".*", java.util.Arrays.stream(ns.split("\\*", -1)).map(AuthzMatchers::quote).toList());
    return regex(".*/ns/" + quoted + "/.*");
  }

  /** {@code Pattern.quote} writes {@code \Q..\E}, which RE2 also accepts; plain names need no quoting. */
  private static String quote(String s) {
    return s.matches("[A-Za-z0-9._-]*") ? s.replace(".", "\\.") : Pattern.quote(s);
  }

  /** A request header's value with the wildcard rules; a lone {@code *} means the header is present. */
  static HeaderMatcher headerValue(String name, String v) {
    return v.equals("*") ? HeaderMatcher.newBuilder().setName(name).setPresentMatch(true).build()
        : header(name, plain(v));
  }

  static HeaderMatcher header(String name, StringMatcher m) {
    return HeaderMatcher.newBuilder().setName(name).setStringMatch(m).build();
  }

  /**
   * {@code :authority} for a host, case-insensitively; a host written without a port also matches
   * it with any port, since clients send {@code host:port} for non-default ports.
   */
  static List<HeaderMatcher> authority(String host) {
    if (host.equals("*")) {
      return List.of(HeaderMatcher.newBuilder().setName(":authority").setPresentMatch(true).build());
    }
    if (host.startsWith("*")) {
      String rest = host.substring(1);
      return List.of(header(":authority", regex("(?i).*" + quote(rest) + "(:[0-9]+)?")));
    }
    if (host.endsWith("*")) {
      return List.of(header(":authority", StringMatcher.newBuilder().setIgnoreCase(true)
          .setPrefix(host.substring(0, host.length() - 1)).build()));
    }
    HeaderMatcher exactHost = header(":authority", StringMatcher.newBuilder().setIgnoreCase(true).setExact(host).build());
    if (host.contains(":") && !host.startsWith("[")) {
      return List.of(exactHost);
    }
    return List.of(exactHost,
        header(":authority", StringMatcher.newBuilder().setIgnoreCase(true).setPrefix(host + ":").build()));
  }

  /**
   * A verified JWT claim (by path from the payload) of one issuer: equal to the value, or a list
   * containing it (two matchers, to be ORed).
   */
  static List<MetadataMatcher> jwtClaim(String issuer, List<String> path, StringMatcher value) {
    MetadataMatcher.Builder m = MetadataMatcher.newBuilder().setFilter(JWT_AUTHN_FILTER)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(issuer));
    path.forEach(p -> m.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(p)));
    return List.of(m.clone().setValue(ValueMatcher.newBuilder().setStringMatch(value)).build(),
        m.clone().setValue(ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder()
            .setOneOf(ValueMatcher.newBuilder().setStringMatch(value)))).build());
  }

  /** A verified JWT from this issuer is present. */
  static MetadataMatcher jwtPresent(String issuer) {
    return MetadataMatcher.newBuilder().setFilter(JWT_AUTHN_FILTER)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(issuer))
        .setValue(ValueMatcher.newBuilder().setPresentMatch(true)).build();
  }

  /** An IP or CIDR as a range ({@code 10.1.2.3} is {@code /32}); empty when it is neither. */
  static Optional<CidrRange> cidr(String text) {
    int slash = text.indexOf('/');
    String ip = slash < 0 ? text : text.substring(0, slash);
    if (!Hosts.isIpAddress(ip)) {
      return Optional.empty();
    }
    int bits = ip.contains(":") ? 128 : 32;
    int len = bits;
    if (slash >= 0) {
      try {
        len = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
      if (len < 0 || len > bits) {
        return Optional.empty();
      }
    }
    return Optional.of(CidrRange.newBuilder().setAddressPrefix(ip)
        .setPrefixLen(com.google.protobuf.UInt32Value.of(len)).build());
  }
}

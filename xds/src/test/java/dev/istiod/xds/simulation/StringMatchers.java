package dev.istiod.xds.simulation;

import com.google.re2j.Pattern;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.Locale;

/** Envoy's StringMatcher and RegexMatcher: regexes are RE2 and must match the whole value. */
final class StringMatchers {
  private StringMatchers() {}

  static boolean matches(StringMatcher m, String value) {
    boolean ic = m.getIgnoreCase();
    String v = ic ? value.toLowerCase(Locale.ROOT) : value;
    return switch (m.getMatchPatternCase()) {
      case EXACT -> v.equals(ic ? m.getExact().toLowerCase(Locale.ROOT) : m.getExact());
      case PREFIX -> v.startsWith(ic ? m.getPrefix().toLowerCase(Locale.ROOT) : m.getPrefix());
      case SUFFIX -> v.endsWith(ic ? m.getSuffix().toLowerCase(Locale.ROOT) : m.getSuffix());
      case CONTAINS -> v.contains(ic ? m.getContains().toLowerCase(Locale.ROOT) : m.getContains());
      case SAFE_REGEX -> matches(m.getSafeRegex(), value);
      case CUSTOM, MATCHPATTERN_NOT_SET ->
          throw new UnsupportedOperationException("the simulator does not model string matcher " + m);
    };
  }

  static boolean matches(RegexMatcher m, String value) {
    return Pattern.compile(m.getRegex()).matcher(value).matches();
  }
}

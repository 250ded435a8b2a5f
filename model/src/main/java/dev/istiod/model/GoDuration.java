package dev.istiod.model;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's duration syntax ({@code 1h30m}, {@code 100ms}, {@code 1.5s}), which Istio uses in YAML
 * and in environment variables such as {@code PILOT_DEBOUNCE_AFTER}: the one parser and
 * formatter of it in this project. {@link ProtoYaml#normalize} applies it to the
 * duration-typed fields of a config tree.
 */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");

  private GoDuration() {}

  /**
   * Parses a Go duration; a bare "0" is zero.
   *
   * @throws IllegalArgumentException naming the input when it is not a Go duration
   */
  public static Duration parse(String s) {
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException("invalid duration \"\"");
    }
    String in = s.trim();
    boolean negative = in.startsWith("-");
    String body = negative || in.startsWith("+") ? in.substring(1) : in;
    if (body.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(body);
    int pos = 0;
    BigDecimal nanos = BigDecimal.ZERO;
    while (pos < body.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException("invalid duration \"" + s + "\"");
      }
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos(m.group(2)))));
      pos = m.end();
    }
    if (pos == 0) {
      throw new IllegalArgumentException("invalid duration \"" + s + "\"");
    }
    long whole;
    try {
      whole = nanos.setScale(0, RoundingMode.DOWN).longValueExact(); // Go truncates below 1ns
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException("invalid duration \"" + s + "\" (out of range)");
    }
    Duration d = Duration.ofNanos(whole);
    return negative ? d.negated() : d;
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs", "μs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> throw new IllegalArgumentException(unit);
    };
  }

  /** Formats as protobuf JSON expects a Duration: seconds with an optional fraction, e.g. {@code 1.5s}. */
  public static String toProtoJson(Duration d) {
    if (d.isNegative()) {
      return "-" + toProtoJson(d.negated());
    }
    long secs = d.getSeconds();
    int nanos = d.getNano();
    if (nanos == 0) {
      return secs + "s";
    }
    String frac = String.format("%09d", nanos).replaceAll("0+$", "");
    return secs + "." + frac + "s";
  }
}

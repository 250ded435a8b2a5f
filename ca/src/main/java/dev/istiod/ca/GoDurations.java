package dev.istiod.ca;

import java.time.Duration;

/** Go's {@code time.Duration.String()} ("2160h0m0s"), so error messages read as upstream's. */
final class GoDurations {
  private GoDurations() {}

  static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    String sign = d.isNegative() ? "-" : "";
    Duration a = d.abs();
    long seconds = a.getSeconds();
    int nanos = a.getNano();
    if (seconds == 0) {
      if (nanos % 1_000_000 == 0) {
        return sign + nanos / 1_000_000 + "ms";
      }
      if (nanos % 1_000 == 0) {
        return sign + nanos / 1_000 + "µs";
      }
      return sign + nanos + "ns";
    }
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    String s = secondsWithFraction(seconds % 60, nanos);
    if (h > 0) {
      return sign + h + "h" + m + "m" + s + "s";
    }
    if (m > 0) {
      return sign + m + "m" + s + "s";
    }
    return sign + s + "s";
  }

  private static String secondsWithFraction(long s, int nanos) {
    if (nanos == 0) {
      return Long.toString(s);
    }
    String frac = String.format("%09d", nanos).replaceAll("0+$", "");
    return s + "." + frac;
  }
}

package dev.istiod.configstore.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Mutable collector of errors and warnings used while one validator runs; never shared. */
final class Issues {
  private final List<String> errors = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  void error(String message) {
    errors.add(message);
  }

  void errorf(String format, Object... args) {
    errors.add(String.format(Locale.ROOT, format, args));
  }

  void error(Optional<String> message) {
    message.ifPresent(errors::add);
  }

  void errors(List<String> messages) {
    errors.addAll(messages);
  }

  void warn(String message) {
    warnings.add(message);
  }

  void warnf(String format, Object... args) {
    warnings.add(String.format(Locale.ROOT, format, args));
  }

  int errorCount() {
    return errors.size();
  }

  /** Adds another collector's findings, each error prefixed (upstream's multierror.Prefix). */
  void addPrefixed(String prefix, Issues other) {
    other.errors.forEach(e -> errors.add(prefix + " " + e));
    warnings.addAll(other.warnings);
  }

  ValidationResult result() {
    return new ValidationResult(errors, warnings);
  }

  /** Go's {@code %q}: a double-quoted string with quotes, backslashes and controls escaped. */
  static String q(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** Go's {@code %v} of a float64: no trailing ".0" for whole numbers. */
  static String num(double d) {
    if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }

  /** Go's {@code %f}: six decimals. */
  static String f6(double d) {
    return String.format(Locale.ROOT, "%f", d);
  }
}

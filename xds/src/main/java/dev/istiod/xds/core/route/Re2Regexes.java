package dev.istiod.xds.core.route;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.Optional;

/**
 * What Envoy's RE2 does with a regex: it must compile, and its compiled program may not exceed
 * 100 instructions (Envoy's default {@code re2.max_program_size.error_level}); either failure
 * makes Envoy reject the whole resource.
 *
 * <p>RE2J compiles the same syntax but counts instructions differently from C++ RE2: it spends one
 * instruction on a whole character class where RE2 spends one per byte range, and two fewer on
 * the program's frame. The estimate adds those back; measured against Envoy 1.40 it matches
 * literals, repeats and classes like {@code [a-f0-9]{64}} (132, rejected) and errs high on
 * alternations and loops, which RE2 flattens. So a regex near the limit may be refused although
 * Envoy would take it; far from the limit the answer is exact in practice.
 */
final class Re2Regexes {
  /** Envoy's default RE2 program size error threshold. */
  static final int MAX_PROGRAM_SIZE = 100;

  private Re2Regexes() {}

  /** Why Envoy would reject {@code regex}, or empty if it would accept it. */
  static Optional<String> problem(String regex) {
    Pattern p;
    try {
      p = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      return Optional.of("regex '" + regex + "' does not compile under RE2: " + e.getDescription());
    }
    int size = estimatedProgramSize(regex, p);
    if (size > MAX_PROGRAM_SIZE) {
      return Optional.of("regex '" + regex + "' RE2 program size of about " + size + " exceeds Envoy's limit of "
          + MAX_PROGRAM_SIZE);
    }
    return Optional.empty();
  }

  static int estimatedProgramSize(String regex, Pattern compiled) {
    return compiled.programSize() + 2 + classExtra(regex);
  }

  /**
   * Instructions C++ RE2 spends beyond RE2J on character classes: one per byte range after the
   * first, for bracket classes (one per range for a negated class, whose complement has one more),
   * Perl escapes such as {@code \\w} and {@code .}, times the class's immediate {@code {n}} or
   * {@code {n,m}} repeat.
   */
  static int classExtra(String re) {
    int extra = 0;
    int i = 0;
    while (i < re.length()) {
      char c = re.charAt(i);
      if (c == '\\') {
        int ranges = i + 1 < re.length() ? escapeRanges(re.charAt(i + 1)) : 1;
        i += 2;
        extra += (ranges - 1) * repeat(re, i);
        continue;
      }
      if (c == '.') {
        i++;
        extra += repeat(re, i); // any character but newline: two byte ranges
        continue;
      }
      if (c != '[') {
        i++;
        continue;
      }
      int j = i + 1;
      boolean negated = j < re.length() && re.charAt(j) == '^';
      if (negated) {
        j++;
      }
      int items = 0;
      boolean first = true;
      while (j < re.length() && (re.charAt(j) != ']' || first)) {
        first = false;
        if (re.startsWith("[:", j)) {
          int end = re.indexOf(":]", j + 2);
          j = end < 0 ? re.length() : end + 2;
        } else if (re.charAt(j) == '\\') {
          items += j + 1 < re.length() ? escapeRanges(re.charAt(j + 1)) - 1 : 0;
          j += 2;
        } else {
          j++;
        }
        if (j + 1 < re.length() && re.charAt(j) == '-' && re.charAt(j + 1) != ']') {
          j += re.charAt(j + 1) == '\\' ? 3 : 2; // a range a-z counts once
        }
        items++;
      }
      int perCopy = negated ? items : Math.max(0, items - 1);
      i = Math.min(j + 1, re.length());
      extra += perCopy * repeat(re, i);
    }
    return extra;
  }

  /** Byte ranges RE2 compiles a Perl class escape to ({@code \\w} is 0-9, A-Z, _, a-z); 1 for a literal. */
  private static int escapeRanges(char c) {
    return switch (c) {
      case 'w' -> 4;
      case 'W' -> 5;
      case 's' -> 3;
      case 'S' -> 4;
      case 'D' -> 2;
      default -> 1;
    };
  }

  /** The upper bound of a {@code {n}} or {@code {n,m}} repeat at {@code at}, else 1. */
  private static int repeat(String re, int at) {
    if (at >= re.length() || re.charAt(at) != '{') {
      return 1;
    }
    int end = re.indexOf('}', at);
    if (end < 0) {
      return 1;
    }
    String[] bounds = re.substring(at + 1, end).split(",", -1);
    try {
      String upper = bounds.length == 2 && !bounds[1].isEmpty() ? bounds[1] : bounds[0];
      return Math.max(1, Integer.parseInt(upper.trim()));
    } catch (NumberFormatException e) {
      return 1;
    }
  }
}

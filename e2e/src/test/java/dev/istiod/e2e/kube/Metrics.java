package dev.istiod.e2e.kube;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads labelled samples out of the Prometheus text exposition format (istiod's /metrics). */
final class Metrics {
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private Metrics() {}

  /**
   * Sum of the samples of {@code metric} (with or without the {@code _total} suffix of counters) whose labels
   * include every entry of {@code labels}; 0 when there is none, as for a counter never incremented.
   */
  static double sample(String exposition, String metric, Map<String, String> labels) {
    double total = 0;
    for (String line : exposition.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      int nameEnd = brace >= 0 && brace < space ? brace : space;
      if (nameEnd < 0) {
        continue;
      }
      String name = line.substring(0, nameEnd);
      if (!name.equals(metric) && !name.equals(metric + "_total")) {
        continue;
      }
      Map<String, String> found = new HashMap<>();
      int valueStart = nameEnd;
      if (nameEnd == brace) {
        int close = line.indexOf('}', brace);
        Matcher m = LABEL.matcher(line.substring(brace + 1, close));
        while (m.find()) {
          found.put(m.group(1), m.group(2));
        }
        valueStart = close + 1;
      }
      if (found.entrySet().containsAll(labels.entrySet())) {
        total += Double.parseDouble(line.substring(valueStart).trim().split("\\s+")[0]);
      }
    }
    return total;
  }
}

package dev.istiod.e2e;

/** Reads sample values out of the Prometheus text exposition format. */
final class PrometheusText {
  private PrometheusText() {}

  /**
   * Sum of every sample of {@code metric} (any labels). A counter may be exposed with or without the
   * {@code _total} suffix; both count. A metric that is absent sums to 0, as a never-incremented counter does.
   */
  static double sum(String exposition, String metric) {
    double total = 0;
    for (String line : exposition.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int nameEnd = indexOfAny(line, "{ ");
      if (nameEnd < 0) {
        continue;
      }
      String name = line.substring(0, nameEnd);
      if (!name.equals(metric) && !name.equals(metric + "_total")) {
        continue;
      }
      int valueStart = line.charAt(nameEnd) == '{' ? line.indexOf('}', nameEnd) + 1 : nameEnd;
      String[] rest = line.substring(valueStart).trim().split("\\s+");
      total += Double.parseDouble(rest[0]);
    }
    return total;
  }

  /** True if any sample line of the metric (with or without {@code _total}) is present. */
  static boolean has(String exposition, String metric) {
    return exposition.lines()
        .filter(line -> !line.startsWith("#"))
        .anyMatch(line -> line.startsWith(metric + "{") || line.startsWith(metric + " ")
            || line.startsWith(metric + "_total{") || line.startsWith(metric + "_total "));
  }

  private static int indexOfAny(String line, String chars) {
    for (int i = 0; i < line.length(); i++) {
      if (chars.indexOf(line.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}

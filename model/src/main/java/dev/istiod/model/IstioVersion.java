package dev.istiod.model;

/**
 * The agent version a proxy announces in {@code ISTIO_VERSION}. A missing or unparseable version
 * is treated as the newest ({@link #MAX}), as upstream does.
 */
public record IstioVersion(int major, int minor, int patch) implements Comparable<IstioVersion> {
  public static final IstioVersion MAX = new IstioVersion(65535, 65535, 65535);

  public static IstioVersion parse(String s) {
    if (s == null || s.isBlank()) {
      return MAX;
    }
    String[] parts = s.trim().replaceFirst("^v", "").split("[.\\-+]");
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      int patch = parts.length > 2 ? parseLeadingInt(parts[2]) : 0;
      return new IstioVersion(major, minor, patch);
    } catch (NumberFormatException e) {
      return MAX;
    }
  }

  private static int parseLeadingInt(String s) {
    int end = 0;
    while (end < s.length() && Character.isDigit(s.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(s.substring(0, end));
  }

  public boolean atLeast(int major, int minor) {
    return this.major > major || (this.major == major && this.minor >= minor);
  }

  @Override
  public int compareTo(IstioVersion o) {
    int c = Integer.compare(major, o.major);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(minor, o.minor);
    return c != 0 ? c : Integer.compare(patch, o.patch);
  }
}

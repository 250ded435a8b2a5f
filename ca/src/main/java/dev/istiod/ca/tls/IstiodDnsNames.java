package dev.istiod.ca.tls;

import java.util.List;
import java.util.TreeSet;

/**
 * The DNS names in istiod's serving certificate (upstream's getDNSNames): the host of the mesh's
 * {@code defaultConfig.discoveryAddress}, {@code istiod.<ns>.svc}, {@code istiod-remote.<ns>.svc},
 * {@code istio-pilot.<ns>.svc}, {@code istiod-<rev>.<ns>.svc} for a non-default revision, and the
 * comma-separated {@code ISTIOD_CUSTOM_HOST} entries; sorted and de-duplicated.
 */
public final class IstiodDnsNames {
  private IstiodDnsNames() {}

  /**
   * @param namespace istiod's namespace
   * @param revision {@code REVISION} ("default" or empty for none)
   * @param discoveryAddress the mesh config's {@code defaultConfig.discoveryAddress}, "host:port"
   *     (may be empty)
   * @param customHosts {@code ISTIOD_CUSTOM_HOST} (may be empty)
   */
  public static List<String> compute(String namespace, String revision, String discoveryAddress, String customHosts) {
    TreeSet<String> names = new TreeSet<>();
    if (customHosts != null) {
      for (String h : customHosts.split(",")) {
        if (!h.isBlank()) {
          names.add(h.trim());
        }
      }
    }
    String host = hostOf(discoveryAddress);
    if (!host.isEmpty()) {
      names.add(host);
    }
    for (String known : List.of("istiod", "istiod-remote", "istio-pilot")) {
      names.add(known + "." + namespace + ".svc");
    }
    if (revision != null && !revision.isEmpty() && !revision.equals("default")) {
      names.add("istiod-" + revision + "." + namespace + ".svc");
    }
    return List.copyOf(names);
  }

  /** The host of "host:port" or "[v6]:port"; fails on an address without a port, as Go's SplitHostPort. */
  static String hostOf(String address) {
    if (address == null || address.isEmpty()) {
      return "";
    }
    if (address.startsWith("[")) {
      int end = address.indexOf("]:");
      if (end < 0) {
        throw new IllegalArgumentException("invalid discoveryAddress \"" + address + "\": missing port");
      }
      return address.substring(1, end);
    }
    int colon = address.lastIndexOf(':');
    if (colon < 0 || address.indexOf(':') != colon) {
      throw new IllegalArgumentException("invalid discoveryAddress \"" + address + "\": missing port");
    }
    return address.substring(0, colon);
  }
}

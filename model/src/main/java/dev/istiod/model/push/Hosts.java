package dev.istiod.model.push;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Istio's hostname rules, in one place: wildcard matching ({@code *.example.com}), "most specific
 * host wins" lookups, and resolution of the short names users write in VirtualServices and
 * DestinationRules ({@code reviews} in namespace {@code default} means
 * {@code reviews.default.svc.cluster.local}).
 */
public final class Hosts {
  private static final Pattern IPV4 = Pattern.compile("^\\d{1,3}(\\.\\d{1,3}){3}$");

  private Hosts() {}

  public static boolean isWildcard(String host) {
    return !host.isEmpty() && host.charAt(0) == '*';
  }

  /** True for an IPv4 or IPv6 literal (no brackets). */
  public static boolean isIpAddress(String s) {
    return IPV4.matcher(s).matches() || (s.indexOf(':') >= 0 && s.chars().allMatch(c -> c == ':' || c == '.'
        || Character.digit(c, 16) >= 0));
  }

  /**
   * Bidirectional match: true if either name could stand for the other ({@code *.com} matches
   * {@code a.com} and vice versa; two wildcards match when one is a suffix of the other).
   */
  public static boolean matches(String n, String o) {
    boolean nw = isWildcard(n);
    boolean ow = isWildcard(o);
    if (nw && ow) {
      return n.length() < o.length() ? o.substring(1).endsWith(n.substring(1)) : n.substring(1).endsWith(o.substring(1));
    }
    if (nw) {
      return o.endsWith(n.substring(1));
    }
    if (ow) {
      return n.endsWith(o.substring(1));
    }
    return n.equals(o);
  }

  /** True if every host {@code n} stands for is also covered by {@code o}. */
  public static boolean subsetOf(String n, String o) {
    boolean nw = isWildcard(n);
    boolean ow = isWildcard(o);
    if (nw) {
      return ow && n.length() >= o.length() && n.substring(1).endsWith(o.substring(1));
    }
    if (ow) {
      return n.endsWith(o.substring(1));
    }
    return n.equals(o);
  }

  /** Istio's order: exact before wildcard, then longer before shorter, then alphabetical. */
  public static boolean moreSpecific(String a, String b) {
    boolean aw = isWildcard(a);
    boolean bw = isWildcard(b);
    if (aw != bw) {
      return !aw;
    }
    if (a.length() == b.length()) {
      return a.compareTo(b) < 0;
    }
    return a.length() > b.length();
  }

  /**
   * The value of the most specific key matching {@code needle}: an exact entry first, else the
   * longest wildcard whose suffix the needle ends with.
   *
   * @param specific entries keyed by exact hostnames
   * @param wildcard entries keyed by wildcard hostnames ({@code *.foo.com}, {@code *})
   */
  public static <V> Optional<V> mostSpecific(String needle, Map<String, V> specific, Map<String, V> wildcard) {
    if (isWildcard(needle)) {
      V exact = wildcard.get(needle);
      if (exact != null) {
        return Optional.of(exact);
      }
      return mostSpecificWildcard(needle.substring(1), wildcard);
    }
    V exact = specific.get(needle);
    if (exact != null) {
      return Optional.of(exact);
    }
    return mostSpecificWildcard(needle, wildcard);
  }

  private static <V> Optional<V> mostSpecificWildcard(String needle, Map<String, V> wildcard) {
    String best = null;
    for (String h : wildcard.keySet()) {
      if (needle.endsWith(h.substring(1)) && (best == null || moreSpecific(h, best))) {
        best = h;
      }
    }
    return best == null ? Optional.empty() : Optional.of(wildcard.get(best));
  }

  /**
   * Resolves a host as written in a config of {@code namespace} to a fully qualified name, as
   * upstream's {@code ResolveShortnameToFQDN}: names without a dot get
   * {@code .<namespace>.svc.<domainSuffix>}; {@code *}, IPs and dotted names are kept. Hosts are
   * lower-cased, as Istio compares them case-insensitively.
   */
  public static String resolveShortName(String host, String namespace, String domainSuffix) {
    if (host == null || host.isEmpty()) {
      return "";
    }
    String h = host.toLowerCase(java.util.Locale.ROOT);
    if (h.equals("*") || isIpAddress(h) || h.contains(".")) {
      return h;
    }
    StringBuilder out = new StringBuilder(h);
    if (!namespace.isEmpty()) {
      out.append('.').append(namespace);
    }
    if (!domainSuffix.isEmpty()) {
      out.append(".svc.").append(domainSuffix);
    }
    return out.toString();
  }

  /**
   * Resolves a gateway reference of a VirtualService to {@code namespace/name}, as upstream:
   * {@code mesh} stays, {@code name} and {@code ./name} are in the config's namespace, and the
   * legacy {@code name.namespace.svc.cluster.local} form is rewritten.
   */
  public static String resolveGatewayName(String gateway, String namespace) {
    if (gateway.equals(VirtualServiceIndex.MESH_GATEWAY)) {
      return gateway;
    }
    int slash = gateway.indexOf('/');
    if (slash < 0) {
      int dot = gateway.indexOf('.');
      if (dot < 0) {
        return namespace + "/" + gateway;
      }
      String rest = gateway.substring(dot + 1);
      int next = rest.indexOf('.');
      return (next < 0 ? rest : rest.substring(0, next)) + "/" + gateway.substring(0, dot);
    }
    if (gateway.substring(0, slash).equals(".")) {
      return namespace + gateway.substring(slash);
    }
    return gateway;
  }
}

package dev.istiod.xds.core.listener;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.xds.core.AcceptedContent;
import dev.istiod.xds.core.ProtoRules;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What Envoy would reject in a listener, checked before it is sent: one rejected listener makes
 * Envoy reject the whole LDS update (a NACK, and the proxy keeps stale config). First Envoy's proto
 * rules ({@link ProtoRules}, over the listener and every filter config inside it), then the rules
 * its listener manager enforces in code, confirmed against upstream Envoy 1.40 in
 * {@code --mode validate}:
 * <ul>
 *   <li>two filter chains whose matches overlap anywhere ("multiple filter chains with overlapping
 *       matching rules"): Envoy expands every list of a match (server names case-insensitively,
 *       prefix ranges by their masked network) and refuses any combination matched twice;</li>
 *   <li>partial wildcards in {@code server_names} ({@code *} alone, or {@code *foo.com});</li>
 *   <li>a listener with neither filter chains nor a default chain;</li>
 *   <li>a network filter chain ending in a non-terminal filter, an HTTP connection manager
 *       whose last HTTP filter is not the router or that has no routes, a TCP proxy without
 *       cluster;</li>
 *   <li>two listeners with one name, or two on one address and port, even when neither binds it.</li>
 * </ul>
 */
public final class ListenerValidator {
  /** Network filters that end a chain; any other filter last in a chain is rejected. */
  static final Set<String> TERMINAL_NETWORK_FILTERS = Set.of(Filters.TCP_PROXY, Filters.HTTP_CONNECTION_MANAGER,
      "envoy.filters.network.redis_proxy", "envoy.filters.network.direct_response", "envoy.filters.network.echo",
      "envoy.filters.network.dubbo_proxy", "envoy.filters.network.thrift_proxy");

  /**
   * The listeners to send and why the others were left out.
   *
   * @param problems one line per dropped listener, naming it and what Envoy would object to
   */
  public record Checked(List<Listener> listeners, List<String> problems) {
    public Checked {
      listeners = List.copyOf(listeners);
      problems = List.copyOf(problems);
    }
  }

  private ListenerValidator() {}

  /**
   * Keeps every listener Envoy would accept; a later listener reusing an earlier one's name or
   * address is dropped, so the earlier (more specific, as generators order them) one wins.
   */
  public static Checked check(List<Listener> listeners) {
    return checkAfter(new Reservation(Set.of(), Map.of()), listeners);
  }

  /**
   * The names and socket addresses of listeners already checked, which later listeners may not reuse: what the
   * xDS cache keeps beside a shared set of checked listeners, so that checking a proxy's own listeners after them
   * does not walk the shared ones again.
   */
  public record Reservation(Set<String> names, Map<String, String> addresses) {
    public Reservation {
      names = Set.copyOf(names);
      addresses = Map.copyOf(addresses);
    }

    public static Reservation of(List<Listener> checked) {
      Set<String> names = new HashSet<>();
      Map<String, String> addresses = new HashMap<>();
      for (Listener l : checked) {
        names.add(l.getName());
        String address = addressKey(l);
        if (address != null) {
          addresses.putIfAbsent(address, l.getName());
        }
      }
      return new Reservation(names, addresses);
    }
  }

  /**
   * As {@link #check} of some listeners followed by {@code listeners}, where the first ones were checked before and
   * left {@code reserved}: only {@code listeners} are checked and returned (the earlier ones stay as they were).
   */
  public static Checked checkAfter(Reservation reserved, List<Listener> listeners) {
    List<Listener> kept = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<String> names = new HashSet<>(reserved.names());
    Map<String, String> addresses = new HashMap<>(reserved.addresses());
    for (Listener l : listeners) {
      List<String> p = problems(l);
      String address = addressKey(l);
      if (!p.isEmpty()) {
        problems.add(l.getName() + ": " + String.join("; ", p));
      } else if (!names.add(l.getName())) {
        problems.add(l.getName() + ": a listener with this name is already sent");
      } else if (address != null && addresses.containsKey(address)) {
        problems.add(l.getName() + ": duplicate address " + address + " of listener " + addresses.get(address));
      } else {
        if (address != null) {
          addresses.put(address, l.getName());
        }
        kept.add(l);
      }
    }
    return new Checked(kept, problems);
  }

  /** Everything Envoy would object to in one listener; empty when it would accept it. */
  public static List<String> problems(Listener l) {
    return AcceptedContent.problems(l, ListenerValidator::check);
  }

  private static List<String> check(Listener l) {
    List<String> out = new ArrayList<>(ProtoRules.violations(l));
    if (l.getFilterChainsCount() == 0 && !l.hasDefaultFilterChain()) {
      out.add("no filter chains");
    }
    Map<Leaf, String> seen = new HashMap<>();
    for (int i = 0; i < l.getFilterChainsCount(); i++) {
      FilterChain c = l.getFilterChains(i);
      String chainName = c.getName().isEmpty() ? "#" + i : c.getName();
      checkServerNames(c.getFilterChainMatch(), chainName, out);
      for (Leaf leaf : leaves(c.getFilterChainMatch())) {
        String other = seen.putIfAbsent(leaf, chainName);
        if (other != null) {
          out.add("filter chains " + other + " and " + chainName + " have overlapping matches");
          break;
        }
      }
      checkFilters(c.getFiltersList(), chainName, out);
    }
    if (l.hasDefaultFilterChain()) {
      checkFilters(l.getDefaultFilterChain().getFiltersList(), "default", out);
    }
    return out;
  }

  private static void checkServerNames(FilterChainMatch m, String chain, List<String> out) {
    for (String sni : m.getServerNamesList()) {
      int star = sni.indexOf('*');
      if (star > 0 || (star == 0 && !sni.startsWith("*.")) || sni.indexOf('*', star + 1) > 0) {
        out.add("filter chain " + chain + " has a partial wildcard server name " + sni);
      }
    }
  }

  private static void checkFilters(List<Filter> filters, String chain, List<String> out) {
    if (filters.isEmpty()) {
      return; // Envoy accepts an empty chain (it closes connections)
    }
    for (Filter f : filters) {
      if (f.getName().equals(Filters.TCP_PROXY)) {
        checkTcpProxy(f, chain, out);
      } else if (f.getName().equals(Filters.HTTP_CONNECTION_MANAGER)) {
        checkConnectionManager(f, chain, out);
      }
    }
    String last = filters.get(filters.size() - 1).getName();
    if (!TERMINAL_NETWORK_FILTERS.contains(last)) {
      out.add("filter chain " + chain + " ends in non-terminal filter " + last);
    }
  }

  private static void checkTcpProxy(Filter f, String chain, List<String> out) {
    try {
      TcpProxy t = f.getTypedConfig().unpack(TcpProxy.class);
      boolean hasCluster = t.getClusterSpecifierCase() == TcpProxy.ClusterSpecifierCase.CLUSTER
          ? !t.getCluster().isEmpty()
          : t.getWeightedClusters().getClustersCount() > 0;
      if (!hasCluster) {
        out.add("filter chain " + chain + " has a TCP proxy without cluster");
      }
      if (t.getStatPrefix().isEmpty()) {
        out.add("filter chain " + chain + " has a TCP proxy without stat prefix");
      }
    } catch (InvalidProtocolBufferException e) {
      out.add("filter chain " + chain + ": TCP proxy config does not parse");
    }
  }

  private static void checkConnectionManager(Filter f, String chain, List<String> out) {
    try {
      HttpConnectionManager h = f.getTypedConfig().unpack(HttpConnectionManager.class);
      if (!h.hasRds() && !h.hasRouteConfig() && !h.hasScopedRoutes()) {
        out.add("filter chain " + chain + " has an HTTP connection manager without routes");
      }
      int n = h.getHttpFiltersCount();
      if (n == 0 || !h.getHttpFilters(n - 1).getName().equals(Filters.ROUTER)) {
        out.add("filter chain " + chain + " has an HTTP filter chain that does not end in the router");
      }
    } catch (InvalidProtocolBufferException e) {
      out.add("filter chain " + chain + ": HTTP connection manager config does not parse");
    }
  }

  /**
   * One combination Envoy's filter chain matcher can select: every repeated field of the match
   * expanded, server names lower-cased, ranges masked ({@code null} components match anything).
   */
  private record Leaf(int destinationPort, String prefix, String serverName, String transport, String alpn,
      String directSource, int sourceType, String source, int sourcePort) {}

  private static List<Leaf> leaves(FilterChainMatch m) {
    List<String> prefixes = ranges(m.getPrefixRangesList());
    List<String> names = m.getServerNamesList().isEmpty() ? listOfNull()
        : m.getServerNamesList().stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    List<String> alpns = m.getApplicationProtocolsList().isEmpty() ? listOfNull() : m.getApplicationProtocolsList();
    List<String> direct = ranges(m.getDirectSourcePrefixRangesList());
    List<String> sources = ranges(m.getSourcePrefixRangesList());
    List<Integer> sourcePorts = m.getSourcePortsList().isEmpty() ? List.of(0) : m.getSourcePortsList();
    int port = m.hasDestinationPort() ? m.getDestinationPort().getValue() : 0;
    List<Leaf> out = new ArrayList<>();
    for (String p : prefixes) {
      for (String n : names) {
        for (String a : alpns) {
          for (String d : direct) {
            for (String s : sources) {
              for (int sp : sourcePorts) {
                out.add(new Leaf(port, p, n, m.getTransportProtocol(), a, d, m.getSourceTypeValue(), s, sp));
              }
            }
          }
        }
      }
    }
    return out;
  }

  private static List<String> ranges(List<CidrRange> ranges) {
    if (ranges.isEmpty()) {
      return listOfNull();
    }
    List<String> out = new ArrayList<>();
    for (CidrRange r : ranges) {
      String text = r.getAddressPrefix() + "/" + (r.hasPrefixLen() ? r.getPrefixLen().getValue() : 0);
      out.add(Cidrs.masked(text).orElse(text));
    }
    return out;
  }

  private static List<String> listOfNull() {
    List<String> l = new ArrayList<>(1);
    l.add(null);
    return l;
  }

  /** {@code address:port} of a socket listener, for duplicate detection; null for other addresses. */
  private static String addressKey(Listener l) {
    if (!l.getAddress().hasSocketAddress()) {
      return l.getAddress().hasPipe() ? "unix:" + l.getAddress().getPipe().getPath() : null;
    }
    SocketAddress s = l.getAddress().getSocketAddress();
    return s.getAddress() + ":" + s.getPortValue();
  }
}

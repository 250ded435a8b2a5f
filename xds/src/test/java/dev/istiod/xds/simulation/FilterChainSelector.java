package dev.istiod.xds.simulation;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch.ConnectionSourceType;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Envoy's filter chain selection ({@code FilterChainMatch}): the criteria are applied in a fixed
 * order — destination port, destination IP, server name, transport protocol, application
 * protocols, direct source IP, source type, source IP, source port. At each step the chains with
 * the most specific value matching the connection go on (longest CIDR prefix, exact server name
 * before the longest wildcard, the client's first ALPN some chain names); only if no chain names
 * a matching value do the chains that leave the criterion empty go on. Envoy never backtracks:
 * once a step picked the specific chains, a later mismatch means the default filter chain, not
 * the chains that were left out.
 */
final class FilterChainSelector {
  /** The chosen chain: {@code index} into filter_chains, or {@link Result#DEFAULT_FILTER_CHAIN}. */
  record Choice(FilterChain chain, int index) {}

  /** Thrown when two chains survive every step: Envoy rejects such listeners. */
  static final class Overlap extends Exception {
    Overlap(String message) {
      super(message);
    }
  }

  private record Candidate(int index, FilterChain chain) {
    FilterChainMatch match() {
      return chain.getFilterChainMatch();
    }
  }

  private FilterChainSelector() {}

  /** The chain for {@code conn}, or null when neither a chain nor a default chain takes it. */
  static Choice select(Listener listener, Connection conn, List<String> trace) throws Overlap {
    if (listener.hasFilterChainMatcher()) {
      throw new UnsupportedOperationException("the simulator does not model filter_chain_matcher (listener "
          + listener.getName() + ")");
    }
    List<Candidate> left = new ArrayList<>();
    for (int i = 0; i < listener.getFilterChainsCount(); i++) {
      left.add(new Candidate(i, listener.getFilterChains(i)));
    }
    left = narrow(left, "destination_port", m -> m.hasDestinationPort(),
        m -> m.getDestinationPort().getValue() == conn.destinationPort() ? 0 : -1, trace);
    left = narrow(left, "prefix_ranges", m -> m.getPrefixRangesCount() > 0,
        m -> longestPrefix(m.getPrefixRangesList(), conn.destinationAddress()), trace);
    left = narrow(left, "server_names", m -> m.getServerNamesCount() > 0,
        m -> serverNameSpecificity(m.getServerNamesList(), conn.sni()), trace);
    left = narrow(left, "transport_protocol", m -> !m.getTransportProtocol().isEmpty(),
        m -> m.getTransportProtocol().equals(conn.transportProtocol()) ? 0 : -1, trace);
    left = narrow(left, "application_protocols", m -> m.getApplicationProtocolsCount() > 0,
        m -> alpnPreference(m.getApplicationProtocolsList(), conn.alpn()), trace);
    left = narrow(left, "direct_source_prefix_ranges", m -> m.getDirectSourcePrefixRangesCount() > 0,
        m -> longestPrefix(m.getDirectSourcePrefixRangesList(), conn.sourceAddress()), trace);
    left = narrow(left, "source_type", m -> m.getSourceType() != ConnectionSourceType.ANY,
        m -> sourceTypeMatches(m.getSourceType(), conn.localSource()) ? 0 : -1, trace);
    left = narrow(left, "source_prefix_ranges", m -> m.getSourcePrefixRangesCount() > 0,
        m -> longestPrefix(m.getSourcePrefixRangesList(), conn.sourceAddress()), trace);
    left = narrow(left, "source_ports", m -> m.getSourcePortsCount() > 0,
        m -> m.getSourcePortsList().contains(conn.sourcePort()) ? 0 : -1, trace);
    if (left.size() > 1) {
      throw new Overlap("filter chains " + left.stream().map(FilterChainSelector::label).toList()
          + " of " + listener.getName() + " match the same connection");
    }
    if (left.size() == 1) {
      trace.add("filter chain " + label(left.get(0)) + " matches");
      return new Choice(left.get(0).chain(), left.get(0).index());
    }
    if (listener.hasDefaultFilterChain()) {
      trace.add("no filter chain matches: default filter chain " + listener.getDefaultFilterChain().getName());
      return new Choice(listener.getDefaultFilterChain(), Result.DEFAULT_FILTER_CHAIN);
    }
    trace.add("no filter chain matches and there is no default filter chain");
    return null;
  }

  /**
   * One step: among chains that set the criterion, keep those whose score is highest and not
   * negative (negative = no match); if none match, keep the chains that leave it empty.
   */
  private static List<Candidate> narrow(List<Candidate> in, String criterion, Predicate<FilterChainMatch> sets,
      ToIntFunction<FilterChainMatch> score, List<String> trace) {
    if (in.isEmpty()) {
      return in;
    }
    int best = -1;
    for (Candidate c : in) {
      if (sets.test(c.match())) {
        best = Math.max(best, score.applyAsInt(c.match()));
      }
    }
    List<Candidate> out = new ArrayList<>();
    for (Candidate c : in) {
      boolean keep = best >= 0 ? sets.test(c.match()) && score.applyAsInt(c.match()) == best : !sets.test(c.match());
      if (keep) {
        out.add(c);
      }
    }
    if (out.size() < in.size()) {
      trace.add(criterion + " keeps " + out.stream().map(FilterChainSelector::label).toList());
    }
    return out;
  }

  /** Length of the longest range containing {@code address}, or -1. */
  static int longestPrefix(List<CidrRange> ranges, String address) {
    int best = -1;
    for (CidrRange r : ranges) {
      int len = r.getPrefixLen().getValue(); // unset means 0, as Envoy reads CidrRange
      if (IpAddress.inRange(address, r.getAddressPrefix(), len)) {
        best = Math.max(best, len);
      }
    }
    return best;
  }

  /**
   * Exact names beat wildcards; among wildcards ({@code *.example.com}) the longest suffix wins.
   * A wildcard covers at least one more label character ({@code *.example.com} does not match
   * {@code example.com}). -1 when nothing matches; an empty SNI matches nothing.
   */
  static int serverNameSpecificity(List<String> names, String sni) {
    if (sni.isEmpty()) {
      return -1;
    }
    int best = -1;
    for (String raw : names) {
      String name = raw.toLowerCase(Locale.ROOT);
      if (name.equals(sni)) {
        return Integer.MAX_VALUE;
      }
      if (name.startsWith("*.")) {
        String suffix = name.substring(1); // ".example.com", as Envoy keys wildcards
        if (suffix.length() >= 2 && sni.length() - suffix.length() >= 1 && sni.endsWith(suffix)) {
          best = Math.max(best, suffix.length());
        }
      }
    }
    return best;
  }

  /** Envoy walks the client's ALPN list in order; a chain naming an earlier protocol wins. */
  static int alpnPreference(List<String> chainProtocols, List<String> offered) {
    for (int i = 0; i < offered.size(); i++) {
      if (chainProtocols.contains(offered.get(i))) {
        return offered.size() - i;
      }
    }
    return -1;
  }

  private static boolean sourceTypeMatches(ConnectionSourceType type, boolean local) {
    return switch (type) {
      case SAME_IP_OR_LOOPBACK -> local;
      case EXTERNAL -> !local;
      default -> true;
    };
  }

  private static String label(Candidate c) {
    return c.index() + (c.chain().getName().isEmpty() ? "" : ":" + c.chain().getName());
  }
}

package dev.istiod.xds.simulation;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.AdditionalAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which listener accepts a connection, as the kernel and Envoy decide it.
 *
 * <ul>
 *   <li>{@link Call.Mode#DIRECT}: a bound socket (bind_to_port not false) on exactly the
 *       destination address and port, else one on the wildcard address and that port.</li>
 *   <li>{@link Call.Mode#OUTBOUND} / {@link Call.Mode#INBOUND}: iptables redirects to the bound
 *       listener on 15001 / 15006. If that listener has {@code use_original_dst}, Envoy hands the
 *       connection to the listener for the original destination (exact address:port, then the
 *       wildcard address with that port, bound or not); without one it stays.</li>
 * </ul>
 */
final class ListenerSelector {
  /** The accepting listener and the destination its filter chains will see. */
  record Accepted(Listener listener, String destinationAddress, int destinationPort) {}

  private ListenerSelector() {}

  static Optional<Accepted> select(List<Listener> listeners, Call call, List<String> trace) {
    if (call.mode() == Call.Mode.DIRECT) {
      Optional<Listener> l = byAddress(listeners, call.address(), call.port(), ListenerSelector::binds);
      l.ifPresentOrElse(x -> trace.add("bound listener " + x.getName() + " accepts " + call.address() + ":" + call.port()),
          () -> trace.add("no bound listener on " + call.address() + ":" + call.port() + " or a wildcard address"));
      return l.map(x -> new Accepted(x, call.address(), call.port()));
    }
    int capture = call.mode().capturePort();
    Optional<Listener> captured = listeners.stream().filter(ListenerSelector::binds)
        .filter(l -> addresses(l).stream().anyMatch(a -> a.getPortValue() == capture)).findFirst();
    if (captured.isEmpty()) {
      trace.add("iptables redirects to " + capture + " but no bound listener is on that port");
      return Optional.empty();
    }
    Listener first = captured.get();
    trace.add("iptables redirects " + call.address() + ":" + call.port() + " to " + first.getName());
    if (first.hasUseOriginalDst() && first.getUseOriginalDst().getValue()) {
      Optional<Listener> target = byAddress(listeners, call.address(), call.port(), l -> l != first);
      if (target.isPresent()) {
        trace.add(first.getName() + " (use_original_dst) hands off to " + target.get().getName());
        return Optional.of(new Accepted(target.get(), call.address(), call.port()));
      }
      trace.add(first.getName() + " (use_original_dst) finds no listener for " + call.address() + ":" + call.port()
          + " and keeps the connection");
      return Optional.of(new Accepted(first, call.address(), call.port()));
    }
    if (ListenerFilters.originalDst(first)) {
      return Optional.of(new Accepted(first, call.address(), call.port()));
    }
    String own = addresses(first).get(0).getAddress();
    trace.add(first.getName() + " restores no original destination: its chains see port " + capture);
    return Optional.of(new Accepted(first, own, capture));
  }

  private static Optional<Listener> byAddress(List<Listener> listeners, String address, int port,
      Predicate<Listener> eligible) {
    for (Listener l : listeners) {
      if (eligible.test(l) && addresses(l).stream()
          .anyMatch(a -> a.getPortValue() == port && IpAddress.isLiteral(a.getAddress())
              && IpAddress.same(a.getAddress(), address))) {
        return Optional.of(l);
      }
    }
    for (Listener l : listeners) {
      if (eligible.test(l) && addresses(l).stream().anyMatch(a -> a.getPortValue() == port && wildcardFor(a, address))) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  /** A wildcard socket of the destination's family (or "::" with IPv4 compatibility for an IPv4 destination). */
  private static boolean wildcardFor(SocketAddress a, String destination) {
    if (!IpAddress.isLiteral(a.getAddress()) || !IpAddress.isWildcard(a.getAddress())) {
      return false;
    }
    boolean v4Listener = IpAddress.isV4(a.getAddress());
    boolean v4Destination = IpAddress.isV4(destination);
    return v4Listener == v4Destination || (!v4Listener && a.getIpv4Compat());
  }

  static boolean binds(Listener l) {
    return !l.hasBindToPort() || l.getBindToPort().getValue();
  }

  static List<SocketAddress> addresses(Listener l) {
    List<SocketAddress> out = new ArrayList<>();
    addSocket(out, l.getAddress());
    for (AdditionalAddress extra : l.getAdditionalAddressesList()) {
      addSocket(out, extra.getAddress());
    }
    return out;
  }

  private static void addSocket(List<SocketAddress> out, Address a) {
    if (a.hasSocketAddress()) {
      out.add(a.getSocketAddress());
    }
  }
}

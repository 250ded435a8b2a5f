package dev.istiod.xds.core.listener;

import dev.istiod.model.Protocol;
import dev.istiod.model.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * The listener conflicts found while building one proxy's listeners: services whose ports land on
 * one listener with the same filter chain match (one of them is left out, because Envoy rejects
 * two identical matches), and inbound ports claimed twice. Upstream reports these as the
 * {@code pilot_conflict_outbound_listener_tcp_over_current_tcp} and
 * {@code pilot_conflict_inbound_listener} push-status metrics; here they are collected per
 * generation so the LDS generator can log and report them.
 *
 * <p>Confined to the thread generating one proxy's listeners.
 */
public final class ListenerConflicts {
  /** What collided. */
  public enum Kind {
    /** Two TCP chains with the same match on one outbound listener: the later service is left out. */
    TCP_OVER_TCP("pilot_conflict_outbound_listener_tcp_over_current_tcp"),
    /** Mongo or MySQL sharing a port with another protocol: the later service is left out (upstream only logs it). */
    WELL_KNOWN_PORT(""),
    /** Two inbound chains for one port: the older service wins. */
    INBOUND("pilot_conflict_inbound_listener");

    private final String metric;

    Kind(String metric) {
      this.metric = metric;
    }

    /** The push-status metric upstream counts this conflict under; empty when upstream only logs it. */
    public String metric() {
      return metric;
    }

    /** The push-status key: the listener for outbound conflicts, the proxy for inbound ones, as upstream. */
    String key(Conflict c) {
      return this == INBOUND ? c.proxyId() : c.listener();
    }
  }

  /**
   * One conflict, described as upstream's push status does
   * ({@code Listener=… Accepted=… Rejected=… (host)}).
   */
  public record Conflict(Kind kind, String proxyId, String listener, String accepted, String rejected, String hostname) {
    public String message() {
      if (kind == Kind.INBOUND) {
        return "Conflicting inbound listener:" + listener + ". incoming: " + hostname + " (" + rejected + " over " + accepted + ")";
      }
      return "Listener=" + listener + " Accepted=" + accepted + " Rejected=" + rejected + " (" + hostname + ")";
    }

    /** Records this conflict in the push's status, under upstream's metric, if it has one. */
    public void reportTo(dev.istiod.model.push.PushStatus status) {
      if (!kind.metric().isEmpty()) {
        status.record(kind.metric(), kind.key(this), proxyId, message());
      }
    }
  }

  private final List<Conflict> conflicts = new ArrayList<>();

  void record(Kind kind, Proxy proxy, String listener, Protocol accepted, String hostname, Protocol rejected) {
    conflicts.add(new Conflict(kind, proxy.id(), listener, protocolName(accepted), protocolName(rejected), hostname));
  }

  public List<Conflict> all() {
    return List.copyOf(conflicts);
  }

  /** Upstream's {@code protocolName}: HTTP, TCP or UNKNOWN (sniffed). */
  private static String protocolName(Protocol p) {
    OutboundListeners.ListenerProtocol lp = OutboundListeners.listenerProtocol(p);
    return lp == OutboundListeners.ListenerProtocol.HTTP ? "HTTP" : lp == OutboundListeners.ListenerProtocol.TCP ? "TCP" : "UNKNOWN";
  }
}

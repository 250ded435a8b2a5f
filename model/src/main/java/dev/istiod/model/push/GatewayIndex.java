package dev.istiod.model.push;

import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.model.Config;
import dev.istiod.model.Proxy;
import java.util.List;
import java.util.Map;

/**
 * Gateway resources in upstream's order (oldest first, then name, then namespace), and which of
 * them a gateway proxy serves, as upstream's {@code PushContext.mergeGateways} selects them: a
 * Gateway without {@code selector} applies to every gateway proxy; one with a selector applies
 * to proxies whose labels include every selector label. Gateways in any namespace are
 * candidates, as upstream with {@code PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false} (its default).
 *
 * <p>The order matters: when two Gateways claim the same port or host, the older one wins.
 * Immutable; safe to share between threads.
 */
public final class GatewayIndex {
  private static final GatewayIndex EMPTY = new GatewayIndex(List.of());

  private final List<Config> all;

  private GatewayIndex(List<Config> all) {
    this.all = all;
  }

  public static GatewayIndex build(List<Config> gateways) {
    return gateways.isEmpty() ? EMPTY : new GatewayIndex(gateways.stream().sorted(VirtualServiceIndex.ORDER).toList());
  }

  /** Every Gateway, oldest first. */
  public List<Config> all() {
    return all;
  }

  /** The Gateways whose selector matches the proxy's labels, oldest first. */
  public List<Config> forProxy(Proxy proxy) {
    if (!proxy.isRouter()) {
      return List.of();
    }
    return all.stream().filter(c -> selects(c.spec(Gateway.class).getSelectorMap(), proxy.labels())).toList();
  }

  /** Upstream's {@code labels.Instance.SubsetOf}: an empty selector selects every proxy. */
  static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return labels.entrySet().containsAll(selector.entrySet());
  }
}

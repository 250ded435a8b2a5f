package dev.istiod.xds.gen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.gateway.GatewayInputs;
import dev.istiod.xds.core.gateway.GatewayListeners;
import dev.istiod.xds.core.listener.InboundListeners;
import dev.istiod.xds.core.listener.OutboundListeners;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * LDS: for sidecars, the per-port outbound listeners, {@code virtualOutbound}, and the inbound
 * listeners ({@code virtualInbound} or bound Sidecar ingress ports), in upstream's order.
 * For gateways, a listener per merged Gateway server port ({@link GatewayListeners}).
 */
final class LdsGenerator implements XdsGenerator {
  @Override
  public String typeUrl() {
    return TypeUrls.LISTENER;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return PushFilters.fullPushAffects(proxy, request,
        proxy.isRouter() ? PushFilters.LDS_IGNORED_ROUTER : PushFilters.LDS_IGNORED_SIDECAR);
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    List<Listener> listeners = new ArrayList<>();
    String skipped = "";
    if (proxy.isRouter()) {
      GatewayListeners.Result gateway = new GatewayListeners(GatewayInputs.of(ProxyInputs.of(proxy, push))).build();
      listeners.addAll(gateway.listeners());
      skipped = gateway.skipped().isEmpty() ? "" : "; left out: " + String.join("; ", gateway.skipped());
    }
    if (proxy.isSidecar()) {
      ProxyInputs in = ProxyInputs.of(proxy, push);
      OutboundListeners outbound = new OutboundListeners(in);
      listeners.addAll(outbound.build());
      outbound.virtualOutbound().ifPresent(listeners::add);
      listeners.addAll(new InboundListeners(in).build());
    }
    List<XdsResource> out = new ArrayList<>();
    for (Listener l : listeners) {
      if (watched.wildcard() || watched.resourceNames().contains(l.getName())) {
        out.add(XdsResource.of(l.getName(), l));
      }
    }
    return new GenerationResult(out, Set.of(), false, out.size() + " listeners" + skipped);
  }
}

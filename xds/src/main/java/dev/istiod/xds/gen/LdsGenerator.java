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
import dev.istiod.xds.core.accesslog.ListenerAccessLogs;
import dev.istiod.xds.core.gateway.GatewayInputs;
import dev.istiod.xds.core.gateway.GatewayListeners;
import dev.istiod.xds.core.listener.InboundListeners;
import dev.istiod.xds.core.listener.ListenerConflicts;
import dev.istiod.xds.core.listener.ListenerValidator;
import dev.istiod.xds.core.listener.OutboundListeners;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * LDS: for sidecars, the per-port outbound listeners, {@code virtualOutbound}, and the inbound
 * listeners ({@code virtualInbound} or bound Sidecar ingress ports), in upstream's order. For
 * gateways, a listener per merged Gateway server port ({@link GatewayListeners}). Every listener
 * passes {@link ListenerValidator} first: what Envoy would reject is logged and left out.
 */
final class LdsGenerator implements XdsGenerator {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LdsGenerator.class);

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
      ProxyInputs in = ProxyInputs.of(proxy, push);
      GatewayListeners.Result gateway = new GatewayListeners(GatewayInputs.of(in)).build();
      listeners.addAll(ListenerAccessLogs.apply(in, gateway.listeners()));
      skipped = gateway.skipped().isEmpty() ? "" : "; left out: " + String.join("; ", gateway.skipped());
    }
    if (proxy.isSidecar()) {
      ProxyInputs in = ProxyInputs.of(proxy, push);
      ListenerConflicts conflicts = new ListenerConflicts();
      OutboundListeners outbound = new OutboundListeners(in, conflicts);
      List<Listener> sidecar = new ArrayList<>(outbound.build());
      outbound.virtualOutbound().ifPresent(sidecar::add);
      sidecar.addAll(new InboundListeners(in, conflicts).build());
      listeners.addAll(ListenerAccessLogs.apply(in, sidecar));
      conflicts.all().forEach(c -> {
        log.debug("{}: listener conflict ({}): {}", proxy.id(), c.kind(), c.message());
        c.reportTo(push.status());
      });
      skipped += conflicts.all().isEmpty() ? "" : "; " + conflicts.all().size() + " listener conflicts";
    }
    // A listener Envoy would reject makes it reject the whole update: leave it out and say so.
    ListenerValidator.Checked checked = ListenerValidator.check(listeners);
    checked.problems().forEach(p -> log.warn("{}: listener left out, Envoy would reject it: {}", proxy.id(), p));
    skipped += checked.problems().isEmpty() ? "" : "; rejected: " + String.join("; ", checked.problems());
    List<XdsResource> out = new ArrayList<>();
    for (Listener l : checked.listeners()) {
      if (watched.wildcard() || watched.resourceNames().contains(l.getName())) {
        out.add(XdsResource.of(l.getName(), l));
      }
    }
    return new GenerationResult(out, Set.of(), false, out.size() + " listeners" + skipped);
  }
}

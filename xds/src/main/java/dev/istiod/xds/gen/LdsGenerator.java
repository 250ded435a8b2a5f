package dev.istiod.xds.gen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.cache.CacheKeys;
import dev.istiod.xds.cache.XdsCache;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.accesslog.AccessLogs;
import dev.istiod.xds.core.accesslog.ListenerAccessLogs;
import dev.istiod.xds.core.gateway.GatewayInputs;
import dev.istiod.xds.core.gateway.GatewayListeners;
import dev.istiod.xds.core.listener.InboundListeners;
import dev.istiod.xds.core.listener.ListenerConflicts;
import dev.istiod.xds.core.listener.ListenerValidator;
import dev.istiod.xds.core.listener.OutboundListeners;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
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

  /**
   * A sidecar's outbound listeners and {@code virtualOutbound} with their access logs, already checked by
   * {@link ListenerValidator}: the part of LDS that proxies of one scope share. {@code conflicts} are those the
   * outbound builders found, reported again for every proxy served this part.
   */
  private record OutboundPart(List<XdsResource> listeners, ListenerValidator.Reservation reserved,
      List<String> problems, List<ListenerConflicts.Conflict> conflicts) {}

  private final XdsCache cache;

  LdsGenerator(XdsCache cache) {
    this.cache = cache;
  }

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
    List<XdsResource> checkedListeners = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    String skipped = "";
    if (proxy.isRouter()) {
      ProxyInputs in = ProxyInputs.of(proxy, push);
      GatewayListeners.Result gateway = new GatewayListeners(GatewayInputs.of(in)).build();
      skipped = gateway.skipped().isEmpty() ? "" : "; left out: " + String.join("; ", gateway.skipped());
      ListenerValidator.Checked checked = ListenerValidator.check(ListenerAccessLogs.apply(in, gateway.listeners()));
      checkedListeners.addAll(packed(checked.listeners()));
      problems.addAll(checked.problems());
    }
    if (proxy.isSidecar()) {
      ProxyInputs in = ProxyInputs.of(proxy, push);
      List<AccessLog> clientLogs = AccessLogs.forClass(in, ListenerClass.SIDECAR_OUTBOUND);
      OutboundPart outbound = cache.enabled()
          ? cache.get(push, CacheKeys.OutboundListeners.of(in, clientLogs), 0, () -> outbound(in))
          : outbound(in);
      ListenerConflicts conflicts = new ListenerConflicts();
      List<Listener> inbound = ListenerAccessLogs.apply(in, new InboundListeners(in, conflicts).build());
      List<ListenerConflicts.Conflict> all = new ArrayList<>();
      outbound.conflicts().forEach(c -> all.add(new ListenerConflicts.Conflict(c.kind(), proxy.id(), c.listener(),
          c.accepted(), c.rejected(), c.hostname())));
      all.addAll(conflicts.all());
      all.forEach(c -> {
        log.debug("{}: listener conflict ({}): {}", proxy.id(), c.kind(), c.message());
        c.reportTo(push.status());
      });
      skipped += all.isEmpty() ? "" : "; " + all.size() + " listener conflicts";
      ListenerValidator.Checked checked = ListenerValidator.checkAfter(outbound.reserved(), inbound);
      checkedListeners.addAll(outbound.listeners());
      checkedListeners.addAll(packed(checked.listeners()));
      problems.addAll(outbound.problems());
      problems.addAll(checked.problems());
    }
    // A listener Envoy would reject makes it reject the whole update: it was left out; say so.
    problems.forEach(p -> log.warn("{}: listener left out, Envoy would reject it: {}", proxy.id(), p));
    skipped += problems.isEmpty() ? "" : "; rejected: " + String.join("; ", problems);
    List<XdsResource> out = new ArrayList<>();
    for (XdsResource l : checkedListeners) {
      if (watched.wildcard() || watched.resourceNames().contains(l.name())) {
        out.add(l);
      }
    }
    return new GenerationResult(out, Set.of(), false, out.size() + " listeners" + skipped);
  }

  /** The outbound part of a sidecar's LDS, from scratch: built, access-logged (client side) and checked. */
  private static OutboundPart outbound(ProxyInputs in) {
    ListenerConflicts conflicts = new ListenerConflicts();
    OutboundListeners outbound = new OutboundListeners(in, conflicts);
    List<Listener> listeners = new ArrayList<>(outbound.build());
    outbound.virtualOutbound().ifPresent(listeners::add);
    ListenerValidator.Checked checked = ListenerValidator.check(ListenerAccessLogs.apply(in, listeners));
    return new OutboundPart(packed(checked.listeners()), ListenerValidator.Reservation.of(checked.listeners()),
        List.copyOf(checked.problems()), List.copyOf(conflicts.all()));
  }

  private static List<XdsResource> packed(List<Listener> listeners) {
    List<XdsResource> out = new ArrayList<>(listeners.size());
    listeners.forEach(l -> out.add(XdsResource.of(l.getName(), l)));
    return List.copyOf(out);
  }
}

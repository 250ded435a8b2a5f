package dev.istiod.xds.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.istiod.model.NodeType;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.admin.v3.UpdateFailureState;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ConfigStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code istio.io/debug/syncz}, what {@code istioctl proxy-status} and {@code istioctl x version} ask for: one
 * {@code envoy.service.status.v3.ClientConfig} per connected proxy, with per subscribed type whether istiod's last
 * response was acknowledged (SYNCED), is still unacknowledged (STALE), was rejected (ERROR, with Envoy's message)
 * or was never sent (NOT_SENT), as upstream's StatusGen. Answers only when asked; never pushed.
 *
 * <p>Which connections count as proxies: upstream lists the ones whose node carries {@code PROXY_CONFIG} (every
 * pilot-agent) and ztunnels, which leaves out istioctl's own queries. Bare Envoys with a hand-written bootstrap
 * carry no {@code PROXY_CONFIG}; they are listed too when they subscribe to any Envoy type, which istioctl's
 * debug-only connections never do.
 */
final class SynczGenerator implements XdsGenerator {
  private final DiscoveryServer server;

  SynczGenerator(DiscoveryServer server) {
    this.server = server;
  }

  @Override
  public String typeUrl() {
    return TypeUrls.DEBUG_SYNCZ;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return false;
  }

  @Override
  public GenerationResult generate(Proxy caller, PushContext push, WatchedResource watched, PushRequest request) {
    DebugAccess.Scope scope = server.debugScope(caller);
    List<XdsResource> out = new ArrayList<>();
    for (XdsConnectionSnapshot c : server.connections()) {
      boolean hidden = scope instanceof DebugAccess.Namespace ns && !c.proxy().configNamespace().equals(ns.name());
      if (!isProxy(c) || hidden) {
        continue;
      }
      out.add(XdsResource.of(c.proxy().id(), clientConfig(c)));
    }
    return GenerationResult.full(out);
  }

  private static boolean isProxy(XdsConnectionSnapshot c) {
    Proxy p = c.proxy();
    return p.metadata().raw().containsFields("PROXY_CONFIG") || p.type() == NodeType.ZTUNNEL
        || c.watched().stream().anyMatch(w -> !TypeUrls.isDebug(w.typeUrl()));
  }

  static ClientConfig clientConfig(XdsConnectionSnapshot c) {
    Proxy p = c.proxy();
    // Upstream's NodeMetadata{ClusterID, Namespace, IstioVersion}: JSON keys of the node metadata, empty ones left
    // out. istioctl filters `proxy-status -n` on NAMESPACE, so a node without it gets its config namespace.
    Struct.Builder meta = Struct.newBuilder();
    putIfPresent(meta, "CLUSTER_ID", p.metadata().clusterId());
    String namespace = p.metadata().namespace();
    putIfPresent(meta, "NAMESPACE", namespace.isEmpty() ? p.configNamespace() : namespace);
    putIfPresent(meta, "ISTIO_VERSION", p.metadata().istioVersion());
    ClientConfig.Builder config = ClientConfig.newBuilder()
        .setNode(Node.newBuilder().setId(p.id()).setMetadata(meta));
    c.watched().stream()
        .filter(w -> !TypeUrls.isDebug(w.typeUrl()))
        .sorted(Comparator.comparing(XdsConnectionSnapshot.Watch::typeUrl))
        .forEach(w -> {
          ClientConfig.GenericXdsConfig.Builder g = ClientConfig.GenericXdsConfig.newBuilder()
              .setTypeUrl(w.typeUrl())
              .setConfigStatus(status(w));
          if (w.lastSent() != null) {
            g.setLastUpdated(timestamp(w.lastSent()));
          }
          if (!w.lastError().isEmpty()) {
            UpdateFailureState.Builder failure = UpdateFailureState.newBuilder().setDetails(w.lastError());
            if (w.lastSent() != null) {
              failure.setLastUpdateAttempt(timestamp(w.lastSent()));
            }
            g.setErrorState(failure);
          }
          config.addGenericXdsConfigs(g);
        });
    return config.build();
  }

  /** Upstream's order of precedence: a NACK wins, then never sent, then acknowledged or not. */
  static ConfigStatus status(XdsConnectionSnapshot.Watch w) {
    if (!w.lastError().isEmpty()) {
      return ConfigStatus.ERROR;
    }
    if (w.nonceSent().isEmpty()) {
      return ConfigStatus.NOT_SENT;
    }
    return w.nonceSent().equals(w.nonceAcked()) ? ConfigStatus.SYNCED : ConfigStatus.STALE;
  }

  private static void putIfPresent(Struct.Builder meta, String key, String value) {
    if (value != null && !value.isEmpty()) {
      meta.putFields(key, Value.newBuilder().setStringValue(value).build());
    }
  }

  private static Timestamp timestamp(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}

package dev.istiod.xds.server;

import com.google.protobuf.Any;
import dev.istiod.model.Proxy;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.EcdsConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.ScopedRoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.SecretsConfigDump;
import java.util.List;
import java.util.Objects;

/**
 * Everything istiod would send one connected proxy right now, generated from the current push
 * context: what {@code /debug/config_dump} and the {@code istio.io/debug/config_dump} xDS type show.
 *
 * @param version the push context version the resources were generated from
 * @param types one entry per type, in push order (CDS, EDS, LDS, RDS, ...)
 */
public record ConfigDump(String connectionId, Proxy proxy, String version, List<TypedResources> types) {
  private static final String EXTENSION_CONFIG = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";

  public ConfigDump {
    Objects.requireNonNull(proxy, "proxy");
    types = List.copyOf(types);
  }

  /** The resources of one type URL. */
  public record TypedResources(String typeUrl, List<XdsResource> resources) {
    public TypedResources {
      resources = List.copyOf(resources);
    }
  }

  /** Whether a rendered dump carries endpoints; Envoy's own admin dump leaves them out unless asked. */
  public enum Endpoints { INCLUDED, OMITTED }

  /**
   * Shapes the resources as Envoy's admin {@code /config_dump} shows them, in upstream istiod's order: bootstrap
   * (empty: istiod does not know the proxy's bootstrap), clusters, endpoints (if included), listeners, scoped
   * routes (empty), routes, secrets, extension configs. {@code istioctl proxy-status <pod>} compares this with
   * Envoy's own dump section by section, so each section uses Envoy's dynamic-resource wrappers.
   */
  public io.envoyproxy.envoy.admin.v3.ConfigDump toEnvoy(Endpoints endpoints) {
    ClustersConfigDump.Builder clusters = ClustersConfigDump.newBuilder().setVersionInfo(version);
    resources(TypeUrls.CLUSTER).forEach(x -> clusters.addDynamicActiveClusters(
        ClustersConfigDump.DynamicCluster.newBuilder().setVersionInfo(version).setCluster(x.resource())));
    EndpointsConfigDump.Builder eds = EndpointsConfigDump.newBuilder();
    resources(TypeUrls.ENDPOINT).forEach(x -> eds.addDynamicEndpointConfigs(
        EndpointsConfigDump.DynamicEndpointConfig.newBuilder().setVersionInfo(version)
            .setEndpointConfig(x.resource())));
    ListenersConfigDump.Builder listeners = ListenersConfigDump.newBuilder().setVersionInfo(version);
    resources(TypeUrls.LISTENER).forEach(x -> listeners.addDynamicListeners(
        ListenersConfigDump.DynamicListener.newBuilder().setName(x.name()).setActiveState(
            ListenersConfigDump.DynamicListenerState.newBuilder().setVersionInfo(version).setListener(x.resource()))));
    RoutesConfigDump.Builder routes = RoutesConfigDump.newBuilder();
    resources(TypeUrls.ROUTE).forEach(x -> routes.addDynamicRouteConfigs(
        RoutesConfigDump.DynamicRouteConfig.newBuilder().setVersionInfo(version).setRouteConfig(x.resource())));
    SecretsConfigDump.Builder secrets = SecretsConfigDump.newBuilder();
    resources(TypeUrls.SECRET).forEach(x -> secrets.addDynamicActiveSecrets(
        SecretsConfigDump.DynamicSecret.newBuilder().setName(x.name()).setVersionInfo(version)
            .setSecret(x.resource())));
    EcdsConfigDump.Builder extensions = EcdsConfigDump.newBuilder();
    resources(EXTENSION_CONFIG).forEach(x -> extensions.addEcdsFilters(
        EcdsConfigDump.EcdsFilterConfig.newBuilder().setVersionInfo(version).setEcdsFilter(x.resource())));

    io.envoyproxy.envoy.admin.v3.ConfigDump.Builder out = io.envoyproxy.envoy.admin.v3.ConfigDump.newBuilder()
        .addConfigs(Any.pack(BootstrapConfigDump.getDefaultInstance()))
        .addConfigs(Any.pack(clusters.build()));
    if (endpoints == Endpoints.INCLUDED) {
      out.addConfigs(Any.pack(eds.build()));
    }
    return out.addConfigs(Any.pack(listeners.build()))
        .addConfigs(Any.pack(ScopedRoutesConfigDump.getDefaultInstance()))
        .addConfigs(Any.pack(routes.build()))
        .addConfigs(Any.pack(secrets.build()))
        .addConfigs(Any.pack(extensions.build()))
        .build();
  }

  private List<XdsResource> resources(String typeUrl) {
    return types.stream().filter(t -> t.typeUrl().equals(typeUrl)).findFirst()
        .map(TypedResources::resources).orElse(List.of());
  }
}

package dev.istiod.xds.core.cluster;

import com.google.protobuf.Duration;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.IstioIngressListener;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.Visibility;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.EnvoyNames.Direction;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.endpoint.EndpointBuilder;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code inbound|<port>||} clusters a sidecar forwards inbound traffic through, one per
 * workload port: from the proxy's service targets, or from the Sidecar's ingress listeners when
 * it has any. With the mesh's default {@code inboundTrafficPolicy: PASSTHROUGH} they are
 * original-destination clusters bound to {@code 127.0.0.6} (so iptables does not capture the
 * sidecar's own connection); with LOCALHOST they are static clusters to {@code 127.0.0.1:port}.
 */
public final class InboundClusters {
  /** Source addresses iptables exempts from redirection (upstream's InboundPassthroughBind*). */
  static final String PASSTHROUGH_BIND_V4 = "127.0.0.6";
  static final String PASSTHROUGH_BIND_V6 = "::6";
  /** ~292 years: original-destination inbound clusters never clean up hosts (upstream's value). */
  static final Duration NO_CLEANUP = Duration.newBuilder().setSeconds(9223372035L).build();

  private final ProxyInputs in;
  private final ClusterBuilder builder;

  public InboundClusters(ProxyInputs in) {
    this.in = in;
    this.builder = new ClusterBuilder(in);
  }

  public List<Cluster> build() {
    if (!in.scope().ingressListeners().isEmpty()) {
      return fromSidecarIngress();
    }
    if (in.interceptionNone()) {
      // Without iptables, listeners for service ports would collide with the application's own
      // ports; such proxies declare inbound ports through Sidecar ingress listeners instead.
      return List.of();
    }
    return fromServiceTargets();
  }

  private List<Cluster> fromServiceTargets() {
    Map<Integer, List<ServiceTarget>> byPort = new TreeMap<>();
    for (ServiceTarget t : in.serviceTargets()) {
      byPort.computeIfAbsent(targetPort(t), k -> new ArrayList<>()).add(t);
    }
    boolean passthrough = in.mesh().getInboundTrafficPolicy().getMode() == MeshConfig.InboundTrafficPolicy.Mode.PASSTHROUGH;
    String bind = passthrough ? "" : in.localhostAddress();
    List<Cluster> out = new ArrayList<>();
    byPort.forEach((port, targets) -> out.add(cluster(port, bind, targets.get(0).service(), targets.get(0).port(),
        dedupeServices(targets))));
    return out;
  }

  private List<Cluster> fromSidecarIngress() {
    List<Cluster> out = new ArrayList<>();
    for (IstioIngressListener l : in.scope().ingressListeners()) {
      int number = l.getPort().getNumber();
      if (number < 1 || number > 65535) {
        continue; // validation rejects this; never let one bad listener stop the others
      }
      ServicePort port = new ServicePort(l.getPort().getName(), number, Protocol.parse(l.getPort().getProtocol()));
      Service service = findOrSynthesize(number);
      DefaultEndpoint ep = DefaultEndpoint.parse(l.getDefaultEndpoint(), in);
      out.add(cluster(number, ep.address(), service, port, List.of(service), ep.port()));
    }
    return out;
  }

  /** The service a Sidecar ingress port belongs to, or a synthetic {@code <sidecar>.<ns>} one for telemetry. */
  private Service findOrSynthesize(int port) {
    for (ServiceTarget t : in.serviceTargets()) {
      if (targetPort(t) == port) {
        return t.service();
      }
    }
    return new Service(in.scope().name() + "." + in.scope().namespace(), in.scope().namespace(), List.of(), List.of(),
        Resolution.CLIENT_SIDE_LB, false, Visibility.PUBLIC, Map.of(), List.of(), Service.Registry.SERVICE_ENTRY, null);
  }

  static int targetPort(ServiceTarget t) {
    return t.targetPort() > 0 ? t.targetPort() : t.port().effectiveTargetPort();
  }

  private static List<Service> dedupeServices(List<ServiceTarget> targets) {
    Map<String, Service> byHost = new LinkedHashMap<>();
    targets.forEach(t -> byHost.putIfAbsent(t.service().hostname(), t.service()));
    return List.copyOf(byHost.values());
  }

  private Cluster cluster(int port, String bind, Service service, ServicePort servicePort, List<Service> services) {
    return cluster(port, bind, service, servicePort, services, port);
  }

  private Cluster cluster(int clusterPort, String bind, Service service, ServicePort servicePort, List<Service> services,
      int endpointPort) {
    String name = EnvoyNames.inboundCluster(clusterPort);
    List<LocalityLbEndpoints> endpoints = bind.isEmpty() ? List.of() : List.of(localEndpoint(bind, endpointPort));
    Cluster.DiscoveryType type = endpoints.isEmpty() ? Cluster.DiscoveryType.ORIGINAL_DST : Cluster.DiscoveryType.STATIC;
    ClusterDraft d = builder.base(name, type, List.of(), servicePort);
    if (!endpoints.isEmpty()) {
      d.cluster().setLoadAssignment(EndpointBuilder.loadAssignment(name, endpoints));
    }
    ClusterBuilder.servicesMetadata(d.cluster().getMetadataBuilder(), services);
    if (type == Cluster.DiscoveryType.ORIGINAL_DST) {
      d.cluster().setCleanupInterval(NO_CLEANUP);
    }
    TrafficPolicies.apply(TrafficPolicies.INBOUND, new TrafficPolicyContributor.Context(in, service, servicePort,
        TrafficPolicies.withMeshDefaults(TrafficPolicy.getDefaultInstance(), in.mesh()), Direction.INBOUND), d);
    if (!bind.equals("127.0.0.1") && !bind.equals("::1") && !bind.startsWith("unix://")) {
      d.cluster().setUpstreamBindConfig(BindConfig.newBuilder()
          .setSourceAddress(Addresses.socket(in.ipv6Only() ? PASSTHROUGH_BIND_V6 : PASSTHROUGH_BIND_V4, 0)
              .getSocketAddress()));
    }
    return d.build();
  }

  private static LocalityLbEndpoints localEndpoint(String bind, int port) {
    Address address = bind.startsWith("unix://")
        ? Address.newBuilder().setPipe(Pipe.newBuilder().setPath(bind.substring("unix://".length()))).build()
        : Addresses.socket(bind, port);
    LbEndpoint.Builder ep = LbEndpoint.newBuilder();
    ep.getEndpointBuilder().setAddress(address);
    return LocalityLbEndpoints.newBuilder().addLbEndpoints(ep).build();
  }

  /** A Sidecar ingress {@code defaultEndpoint}: empty (original destination), an IP:port, or a UDS. */
  record DefaultEndpoint(String address, int port) {
    static DefaultEndpoint parse(String s, ProxyInputs in) {
      if (s.isEmpty()) {
        return new DefaultEndpoint("", 0);
      }
      if (s.startsWith("unix://")) {
        return new DefaultEndpoint(s, 0);
      }
      int colon = s.lastIndexOf(':');
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        return new DefaultEndpoint("", 0); // unparsable (validation rejects it): original destination
      }
      String host = s.substring(0, colon).replace("[", "").replace("]", "");
      String address = switch (host) {
        case "0.0.0.0" -> in.proxy().ipAddresses().stream().filter(ip -> !ip.contains(":")).findFirst().orElse("127.0.0.1");
        case "::" -> in.proxy().ipAddresses().stream().filter(ip -> ip.contains(":")).findFirst().orElse("::1");
        default -> host;
      };
      return new DefaultEndpoint(address, port);
    }
  }
}

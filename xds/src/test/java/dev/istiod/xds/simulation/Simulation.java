package dev.istiod.xds.simulation;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.xds.gen.Scenario;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A traffic simulator over the Envoy resources one proxy was sent: it walks a {@link Call}
 * through listener selection, filter chain matching, the HTTP connection manager's virtual host
 * and route selection (or the TCP proxy) to the cluster(s) Envoy would use, and reports each
 * step (a {@link Result}). It answers "where would this request go?" from the generated config
 * alone, so tests state routing behaviour the way a user thinks of it, independent of how the
 * generators lay out listeners and routes.
 *
 * <pre>{@code
 * Simulation.forScenario(yaml)
 *     .call(Call.http("reviews.default.svc.cluster.local", 9080).header("end-user", "jason"))
 *     .expectCluster("outbound|9080|v2|reviews.default.svc.cluster.local");
 * }</pre>
 *
 * <p>It models Envoy's documented matching rules (see {@link ListenerSelector},
 * {@link FilterChainSelector}, {@link VirtualHostSelector}, {@link RouteSelector}) and fails
 * loudly ({@link UnsupportedOperationException}) on config it does not model, rather than guess.
 * Instances are immutable and thread-safe.
 */
public final class Simulation {
  private final ProxyResources resources;

  private Simulation(ProxyResources resources) {
    this.resources = resources;
  }

  public static Simulation of(ProxyResources resources) {
    return new Simulation(resources);
  }

  /** Simulates what istiod's generators send {@code proxy} for {@code push}. */
  public static Simulation of(Proxy proxy, PushContext push) {
    return of(ProxyResources.generate(proxy, push));
  }

  /**
   * Simulates a golden-style scenario: Istio YAML whose first document is the
   * {@code kind: ProxyUnderTest} header (see the golden tests' Scenario), decoded and validated
   * like config files, served by the real ServiceEntry registry.
   */
  public static Simulation forScenario(String yaml) {
    try {
      Scenario scenario = Scenario.parse(yaml);
      return of(scenario.proxy(), scenario.push());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ProxyResources resources() {
    return resources;
  }

  /** Runs {@code call} and returns assertions over its result. */
  public CallAssert call(Call call) {
    return new CallAssert(run(call), this);
  }

  /** Where {@code call} goes. */
  public Result run(Call call) {
    ResultBuilder out = new ResultBuilder(call);
    Optional<ListenerSelector.Accepted> accepted = ListenerSelector.select(resources.listeners(), call, out.trace);
    if (accepted.isEmpty()) {
      return out.build(Failure.NO_LISTENER);
    }
    ListenerSelector.Accepted a = accepted.get();
    out.listener = a.listener().getName();
    Connection conn = connection(a, call);
    FilterChainSelector.Choice choice;
    try {
      choice = FilterChainSelector.select(a.listener(), conn, out.trace);
    } catch (FilterChainSelector.Overlap e) {
      return out.fail(Failure.OVERLAPPING_FILTER_CHAINS, e.getMessage());
    }
    if (choice == null) {
      return out.build(Failure.NO_FILTER_CHAIN);
    }
    out.filterChain = choice.chain().getName();
    out.filterChainIndex = choice.index();
    return throughChain(choice.chain(), call, conn, out);
  }

  private Result throughChain(FilterChain chain, Call call, Connection conn, ResultBuilder out) {
    Optional<DownstreamTlsContext> tls = NetworkFilters.downstreamTls(chain);
    if (tls.isPresent()) {
      if (!call.isTls()) {
        return out.fail(Failure.TLS_ERROR, "the chain terminates TLS but the client sent plaintext");
      }
      boolean certRequired = tls.get().hasRequireClientCertificate() && tls.get().getRequireClientCertificate().getValue();
      if (certRequired && call.transport() != Call.Transport.MUTUAL_TLS) {
        return out.fail(Failure.TLS_ERROR, "the chain requires a client certificate");
      }
    }
    Optional<HttpConnectionManager> hcm = NetworkFilters.httpConnectionManager(chain);
    if (hcm.isPresent()) {
      if (!call.isHttp() || call.isTls() && tls.isEmpty()) {
        return out.fail(Failure.PROTOCOL_ERROR, "an HTTP connection manager receives "
            + (call.isTls() ? "TLS it does not terminate" : "raw TCP"));
      }
      Failure f = HttpRouter.route(hcm.get(), call, conn, tls.isPresent(), resources.routes(), out);
      return f == Failure.NONE ? checkClusters(out) : out.build(f);
    }
    Optional<TcpProxy> tcp = NetworkFilters.tcpProxy(chain);
    if (tcp.isPresent()) {
      out.action = tcpAction(tcp.get(), chain, conn, out);
      return checkClusters(out);
    }
    throw new UnsupportedOperationException("the simulator does not model terminal network filter "
        + NetworkFilters.lastFilterName(chain));
  }

  private static Action tcpAction(TcpProxy tcp, FilterChain chain, Connection conn, ResultBuilder out) {
    if (NetworkFilters.hasSniCluster(chain) && !conn.sni().isEmpty()) {
      out.trace.add("sni_cluster sets the cluster from SNI " + conn.sni());
      return new Action.Forward(conn.sni());
    }
    return switch (tcp.getClusterSpecifierCase()) {
      case CLUSTER -> new Action.Forward(tcp.getCluster());
      case WEIGHTED_CLUSTERS -> new Action.Split(tcp.getWeightedClusters().getClustersList().stream()
          .map(w -> new Action.WeightedCluster(w.getName(), w.getWeight())).toList());
      case CLUSTERSPECIFIER_NOT_SET -> throw new IllegalStateException("tcp_proxy without a cluster");
    };
  }

  /** Every named cluster must have been sent; a lone cluster without endpoints by construction is a black hole. */
  private Result checkClusters(ResultBuilder out) {
    for (String name : out.action.clusters()) {
      if (!resources.clusters().containsKey(name)) {
        return out.fail(Failure.NO_CLUSTER, "cluster " + (name.isEmpty() ? "\"\"" : name) + " was not sent");
      }
    }
    if (out.action instanceof Action.Forward f && isBlackHole(resources.clusters().get(f.cluster()))) {
      return out.fail(Failure.BLACKHOLE, "cluster " + f.cluster() + " is STATIC without endpoints");
    }
    return out.build(Failure.NONE);
  }

  private static boolean isBlackHole(Cluster c) {
    boolean staticType = c.getClusterDiscoveryTypeCase() != Cluster.ClusterDiscoveryTypeCase.CLUSTER_TYPE
        && c.getType() == Cluster.DiscoveryType.STATIC;
    return staticType && c.getLoadAssignment().getEndpointsList().stream().allMatch(l -> l.getLbEndpointsCount() == 0);
  }

  /**
   * The endpoints of a cluster as {@code address:port} (or {@code unix:path}): from EDS for EDS
   * clusters, from the inline load assignment otherwise; empty for original-destination clusters.
   */
  public List<String> endpoints(String cluster) {
    Cluster c = resources.clusters().get(cluster);
    if (c == null) {
      throw new IllegalArgumentException("no cluster " + cluster + " among " + resources.clusters().keySet());
    }
    ClusterLoadAssignment cla;
    if (c.hasEdsClusterConfig()) {
      String service = c.getEdsClusterConfig().getServiceName();
      cla = resources.endpoints().getOrDefault(service.isEmpty() ? cluster : service,
          ClusterLoadAssignment.getDefaultInstance());
    } else {
      cla = c.getLoadAssignment();
    }
    List<String> out = new ArrayList<>();
    for (LocalityLbEndpoints group : cla.getEndpointsList()) {
      for (LbEndpoint e : group.getLbEndpointsList()) {
        out.add(render(e.getEndpoint().getAddress()));
      }
    }
    return out;
  }

  private static String render(Address a) {
    if (a.hasPipe()) {
      return "unix:" + a.getPipe().getPath();
    }
    return a.getSocketAddress().getAddress() + ":" + a.getSocketAddress().getPortValue();
  }

  /** What listener filters let Envoy see of the connection. */
  private static Connection connection(ListenerSelector.Accepted a, Call call) {
    int port = a.destinationPort();
    boolean tlsSeen = call.isTls() && ListenerFilters.tlsInspector(a.listener(), port);
    List<String> alpn = List.of();
    if (tlsSeen) {
      alpn = call.alpn();
    } else if (!call.isTls() && call.isHttp() && ListenerFilters.httpInspector(a.listener(), port)) {
      alpn = List.of(call.protocol() == Call.Protocol.HTTP2 ? "h2c" : "http/1.1");
    }
    return new Connection(a.destinationAddress(), port, call.sourceAddress(), call.sourcePort(),
        tlsSeen ? Connection.TLS : Connection.RAW_BUFFER, tlsSeen ? call.sni() : "", alpn);
  }
}

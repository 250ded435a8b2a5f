package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden scenario's generated resources, loaded by a real upstream Envoy
 * ({@code envoy --mode validate}): once as sent (listeners using RDS and clusters using EDS over
 * ADS), once with each route configuration inlined into its connection manager and each load
 * assignment inlined into a static cluster, so Envoy checks those resources too; and the SDS
 * answers as static secrets that clusters use, so Envoy loads the certificates and keys. Runs when
 * {@code ENVOY_BIN} (or {@code -Denvoy.bin}) names an Envoy binary, as {@code tools/test.sh} sets
 * it; skipped otherwise.
 */
class EnvoyValidationTest {
  static final String XDS_CLUSTER = "xds-grpc";

  static String envoyBinary() {
    String bin = System.getProperty("envoy.bin", System.getenv("ENVOY_BIN"));
    return bin != null && !bin.isBlank() && Files.isExecutable(Path.of(bin)) ? bin : null;
  }

  static java.util.stream.Stream<String> scenarios() throws IOException {
    return GoldenTest.scenarios();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void generatedResources_areAcceptedByUpstreamEnvoy(String name, @TempDir Path tmp) throws Exception {
    String envoy = envoyBinary();
    assumeTrue(envoy != null, "ENVOY_BIN not set");
    Scenario s = Scenario.parse(Files.readString(GoldenTest.ROOT.resolve(name).resolve("input.yaml")));
    assumeTrue(!s.proxy.supportsExtension(Filters.ISTIO_METADATA_EXCHANGE),
        "istio-proxy scenario: upstream Envoy has no istio.* filters by design");
    PushContext push = s.push();
    Map<String, XdsGenerator> gens = Generators.envoy();
    PushRequest req = PushRequest.forced(TriggerReason.PROXY_REQUEST);
    List<Cluster> clusters = GoldenTest.unpack(GoldenTest.generate(gens, TypeUrls.CLUSTER, s, push, req, true, Set.of()),
        Cluster.class);
    Set<String> eds = clusters.stream().filter(Cluster::hasEdsClusterConfig)
        .map(c -> c.getEdsClusterConfig().getServiceName()).collect(Collectors.toSet());
    Map<String, ClusterLoadAssignment> assignments = GoldenTest.unpack(
            GoldenTest.generate(gens, TypeUrls.ENDPOINT, s, push, req, false, eds), ClusterLoadAssignment.class)
        .stream().collect(Collectors.toMap(ClusterLoadAssignment::getClusterName, Function.identity()));
    List<Listener> listeners = GoldenTest.unpack(
        GoldenTest.generate(gens, TypeUrls.LISTENER, s, push, req, true, Set.of()), Listener.class);
    Map<String, RouteConfiguration> routes = GoldenTest.unpack(
            GoldenTest.generate(gens, TypeUrls.ROUTE, s, push, req, false, GoldenTest.routeNames(listeners)),
            RouteConfiguration.class)
        .stream().collect(Collectors.toMap(RouteConfiguration::getName, Function.identity()));

    validate(envoy, tmp.resolve("as-sent.json"), s, clusters, listeners);
    validate(envoy, tmp.resolve("inlined.json"), s,
        clusters.stream().map(c -> inlineEndpoints(c, assignments)).toList(),
        listeners.stream().map(l -> inlineRoutes(l, routes)).toList());
    Set<String> sdsNames = GoldenTest.adsSecretNames(clusters, listeners);
    if (!sdsNames.isEmpty()) {
      var r = GoldenTest.generate(gens, TypeUrls.SECRET, s, push, req, false, sdsNames);
      if (r != null) {
        validateSecrets(envoy, tmp.resolve("secrets.json"), s, GoldenTest.unpack(r, Secret.class));
      }
    }
  }

  /**
   * The SDS answers as static secrets, each used by a cluster's TLS context, so Envoy loads them
   * (certificate chains, keys that match them, CA bundles) as it would on receiving them.
   */
  private static void validateSecrets(String envoy, Path file, Scenario s, List<Secret> secrets)
      throws IOException, InterruptedException {
    Bootstrap.Builder b = Bootstrap.newBuilder();
    b.getNodeBuilder().setId(s.proxy.nodeId()).setCluster("golden");
    b.getStaticResourcesBuilder().addAllSecrets(secrets);
    for (Secret secret : secrets) {
      CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
      SdsSecretConfig ref = SdsSecretConfig.newBuilder().setName(secret.getName()).build();
      if (secret.hasTlsCertificate()) {
        common.addTlsCertificateSdsSecretConfigs(ref);
      } else {
        common.setValidationContextSdsSecretConfig(ref);
      }
      b.getStaticResourcesBuilder().addClusters(Cluster.newBuilder().setName("check " + secret.getName())
          .setType(Cluster.DiscoveryType.STATIC)
          .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls")
              .setTypedConfig(Any.pack(UpstreamTlsContext.newBuilder().setCommonTlsContext(common).build()))));
    }
    Files.writeString(file, JsonFormat.printer().usingTypeRegistry(ResourceYaml.TYPES).print(b));
    Process p = new ProcessBuilder(envoy, "--mode", "validate", "-c", file.toString(), "-l", "error")
        .redirectErrorStream(true).start();
    boolean done = p.waitFor(60, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(done).as("envoy --mode validate finished").isTrue();
    assertThat(p.exitValue()).as("envoy rejected the secrets:\n%s", out).isZero();
  }

  private static void validate(String envoy, Path file, Scenario s, List<Cluster> clusters, List<Listener> listeners)
      throws IOException, InterruptedException {
    Bootstrap.Builder b = Bootstrap.newBuilder();
    b.getNodeBuilder().setId(s.proxy.nodeId()).setCluster("golden");
    b.getDynamicResourcesBuilder().getAdsConfigBuilder()
        .setApiType(ApiConfigSource.ApiType.GRPC)
        .setTransportApiVersion(ApiVersion.V3)
        .addGrpcServices(GrpcService.newBuilder().setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(XDS_CLUSTER)));
    b.getStaticResourcesBuilder().addClusters(xdsCluster()).addAllClusters(clusters).addAllListeners(listeners);
    if (dev.istiod.xds.core.security.AgentSds.available(s.proxy)) {
      // As pilot-agent's bootstrap. (validate mode does not check SDS clusters exist; at run time a
      // missing one leaves the resource warming forever, which MtlsGatingTest guards against.)
      b.getStaticResourcesBuilder().addClusters(sdsCluster());
    }
    Files.writeString(file, JsonFormat.printer().usingTypeRegistry(ResourceYaml.TYPES).print(b));
    Process p = new ProcessBuilder(envoy, "--mode", "validate", "-c", file.toString(), "-l", "error")
        .redirectErrorStream(true).start();
    boolean done = p.waitFor(60, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(done).as("envoy --mode validate finished").isTrue();
    assertThat(p.exitValue()).as("envoy rejected %s:\n%s", file.getFileName(), out).isZero();
  }

  private static Cluster xdsCluster() {
    LbEndpoint.Builder ep = LbEndpoint.newBuilder();
    ep.getEndpointBuilder().setAddress(Addresses.socket("127.0.0.1", 15010));
    HttpProtocolOptions h2 = HttpProtocolOptions.newBuilder().setExplicitHttpConfig(
        HttpProtocolOptions.ExplicitHttpConfig.newBuilder().setHttp2ProtocolOptions(
            io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance())).build();
    return Cluster.newBuilder().setName(XDS_CLUSTER).setType(Cluster.DiscoveryType.STATIC)
        .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(XDS_CLUSTER)
            .addEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder().addLbEndpoints(ep)))
        .putTypedExtensionProtocolOptions(Filters.HTTP_PROTOCOL_OPTIONS, Any.pack(h2))
        .build();
  }

  /**
   * pilot-agent's SDS cluster (its bootstrap always has it, on a Unix socket), which the SDS
   * references of mTLS scenarios name.
   */
  private static Cluster sdsCluster() {
    LbEndpoint.Builder ep = LbEndpoint.newBuilder();
    ep.getEndpointBuilder().getAddressBuilder().getPipeBuilder().setPath("./var/run/secrets/workload-spiffe-uds/socket");
    HttpProtocolOptions h2 = HttpProtocolOptions.newBuilder().setExplicitHttpConfig(
        HttpProtocolOptions.ExplicitHttpConfig.newBuilder().setHttp2ProtocolOptions(
            io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance())).build();
    return Cluster.newBuilder().setName(dev.istiod.xds.core.EnvoyNames.SDS_AGENT_CLUSTER)
        .setType(Cluster.DiscoveryType.STATIC)
        .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(dev.istiod.xds.core.EnvoyNames.SDS_AGENT_CLUSTER)
            .addEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder().addLbEndpoints(ep)))
        .putTypedExtensionProtocolOptions(Filters.HTTP_PROTOCOL_OPTIONS, Any.pack(h2))
        .build();
  }

  private static Cluster inlineEndpoints(Cluster c, Map<String, ClusterLoadAssignment> assignments) {
    if (!c.hasEdsClusterConfig()) {
      return c;
    }
    ClusterLoadAssignment cla = assignments.getOrDefault(c.getEdsClusterConfig().getServiceName(),
        ClusterLoadAssignment.newBuilder().setClusterName(c.getName()).build());
    return c.toBuilder().clearEdsClusterConfig().setType(Cluster.DiscoveryType.STATIC).setLoadAssignment(cla).build();
  }

  private static Listener inlineRoutes(Listener l, Map<String, RouteConfiguration> routes) {
    Listener.Builder b = l.toBuilder();
    for (FilterChain.Builder chain : b.getFilterChainsBuilderList()) {
      inline(chain, routes);
    }
    if (b.hasDefaultFilterChain()) {
      inline(b.getDefaultFilterChainBuilder(), routes);
    }
    return b.build();
  }

  private static void inline(FilterChain.Builder chain, Map<String, RouteConfiguration> routes) {
    for (Filter.Builder f : chain.getFiltersBuilderList()) {
      if (!f.getName().equals(Filters.HTTP_CONNECTION_MANAGER)) {
        continue;
      }
      try {
        HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
        if (hcm.hasRds()) {
          RouteConfiguration rc = routes.get(hcm.getRds().getRouteConfigName());
          f.setTypedConfig(Any.pack(hcm.toBuilder().clearRds().setRouteConfig(rc).build()));
        }
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}

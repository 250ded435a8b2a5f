package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files of the sidecar generators: for each {@code golden/<scenario>/input.yaml}, the
 * CDS, EDS (for every EDS cluster of the CDS output), LDS and RDS (for every route configuration
 * the listeners name) a proxy would receive, compared with {@code expected/*.yaml}; and SDS
 * ({@code secrets.yaml}) for scenarios whose listeners or clusters reference secrets over ADS.
 * {@code -Dgolden.update=true} rewrites the expected files and deletes orphans;
 * {@code -Dgolden.only=<regex>} limits the run to matching scenarios.
 */
class GoldenTest {
  static final Path ROOT = Path.of("src/test/resources/golden");
  static final boolean UPDATE = "true".equals(System.getProperty("golden.update"));
  /** {@code -Dgolden.only=<regex>} runs (or rewrites) only the scenarios whose name matches. */
  static final java.util.regex.Pattern ONLY = java.util.regex.Pattern.compile(System.getProperty("golden.only", ".*"));
  static final List<String> ISTIO_ONLY = List.of(Filters.ISTIO_METADATA_EXCHANGE, Filters.ISTIO_ALPN, "istio.stats");

  static Stream<String> scenarios() throws IOException {
    try (Stream<Path> dirs = Files.list(ROOT)) {
      return dirs.filter(d -> Files.exists(d.resolve("input.yaml"))).map(d -> d.getFileName().toString())
          .filter(n -> ONLY.matcher(n).matches())
          .sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void scenario_generatesExpectedResources(String name) throws IOException {
    Path dir = ROOT.resolve(name);
    Scenario scenario = Scenario.parse(Files.readString(dir.resolve("input.yaml")));
    Map<String, String> outputs = generateAll(scenario);

    if (!scenario.proxy.supportsExtension(Filters.ISTIO_METADATA_EXCHANGE)) {
      outputs.forEach((file, text) -> ISTIO_ONLY.forEach(f -> assertThat(text)
          .as("%s/%s must not name the istio-proxy-only filter %s", name, file, f).doesNotContain("name: " + f)));
    }

    Path expectedDir = dir.resolve("expected");
    if (UPDATE) {
      Files.createDirectories(expectedDir);
      for (Map.Entry<String, String> e : outputs.entrySet()) {
        Files.writeString(expectedDir.resolve(e.getKey()), e.getValue());
      }
      try (Stream<Path> files = Files.list(expectedDir)) {
        for (Path f : files.toList()) {
          if (!outputs.containsKey(f.getFileName().toString())) {
            Files.delete(f);
          }
        }
      }
      return;
    }
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, String> e : outputs.entrySet()) {
      Path file = expectedDir.resolve(e.getKey());
      String expected = Files.exists(file) ? Files.readString(file) : "";
      if (!expected.equals(e.getValue())) {
        failures.add(UnifiedDiff.diff("expected/" + e.getKey(), expected, "actual/" + e.getKey(), e.getValue()));
      }
    }
    if (Files.isDirectory(expectedDir)) {
      try (Stream<Path> files = Files.list(expectedDir)) {
        files.map(f -> f.getFileName().toString()).filter(f -> !outputs.containsKey(f))
            .forEach(f -> failures.add("orphan golden file expected/" + f));
      }
    }
    if (!failures.isEmpty()) {
      fail("golden " + name + " differs (rerun with -Dgolden.update=true and review the diff):\n"
          + String.join("\n", failures));
    }
  }

  /** The four xDS outputs of a scenario, as canonical YAML by file name. */
  static Map<String, String> generateAll(Scenario scenario) throws InvalidProtocolBufferException {
    PushContext push = scenario.push();
    Map<String, XdsGenerator> gens = Generators.envoy();
    PushRequest request = PushRequest.forced(TriggerReason.PROXY_REQUEST);
    List<Cluster> clusters = unpack(generate(gens, TypeUrls.CLUSTER, scenario, push, request, true, Set.of()), Cluster.class);
    Set<String> edsNames = new TreeSet<>();
    clusters.stream().filter(Cluster::hasEdsClusterConfig).forEach(c -> edsNames.add(c.getEdsClusterConfig().getServiceName()));
    List<ClusterLoadAssignment> endpoints = unpack(
        generate(gens, TypeUrls.ENDPOINT, scenario, push, request, false, edsNames), ClusterLoadAssignment.class);
    List<Listener> listeners = unpack(generate(gens, TypeUrls.LISTENER, scenario, push, request, true, Set.of()), Listener.class);
    List<RouteConfiguration> routes = unpack(
        generate(gens, TypeUrls.ROUTE, scenario, push, request, false, routeNames(listeners)), RouteConfiguration.class);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("clusters.yaml", ResourceYaml.render(sortedBy(clusters, Cluster::getName)));
    out.put("endpoints.yaml", ResourceYaml.render(sortedBy(endpoints, ClusterLoadAssignment::getClusterName)));
    out.put("listeners.yaml", ResourceYaml.render(sortedBy(listeners, Listener::getName)));
    out.put("routes.yaml", ResourceYaml.render(sortedBy(routes, RouteConfiguration::getName)));
    Set<String> sdsNames = adsSecretNames(clusters, listeners);
    if (!sdsNames.isEmpty()) {
      GenerationResult r = generate(gens, TypeUrls.SECRET, scenario, push, request, false, sdsNames);
      List<Secret> secrets = r == null ? List.of() : unpack(r, Secret.class);
      out.put("secrets.yaml", ResourceYaml.render(sortedBy(secrets, Secret::getName)));
    }
    return out;
  }

  /** Every SDS name the clusters and listeners fetch over ADS (credentialName secrets). */
  static Set<String> adsSecretNames(List<Cluster> clusters, List<Listener> listeners)
      throws InvalidProtocolBufferException {
    List<TransportSocket> sockets = new ArrayList<>();
    for (Cluster c : clusters) {
      sockets.add(c.getTransportSocket());
      c.getTransportSocketMatchesList().forEach(m -> sockets.add(m.getTransportSocket()));
    }
    for (Listener l : listeners) {
      l.getFilterChainsList().forEach(fc -> sockets.add(fc.getTransportSocket()));
      sockets.add(l.getDefaultFilterChain().getTransportSocket());
    }
    Set<String> names = new TreeSet<>();
    for (TransportSocket t : sockets) {
      CommonTlsContext common;
      if (t.getTypedConfig().is(DownstreamTlsContext.class)) {
        common = t.getTypedConfig().unpack(DownstreamTlsContext.class).getCommonTlsContext();
      } else if (t.getTypedConfig().is(UpstreamTlsContext.class)) {
        common = t.getTypedConfig().unpack(UpstreamTlsContext.class).getCommonTlsContext();
      } else {
        continue;
      }
      List<SdsSecretConfig> refs = new ArrayList<>(common.getTlsCertificateSdsSecretConfigsList());
      refs.add(common.getValidationContextSdsSecretConfig());
      refs.add(common.getCombinedValidationContext().getValidationContextSdsSecretConfig());
      refs.stream().filter(r -> r.getSdsConfig().hasAds()).forEach(r -> names.add(r.getName()));
    }
    return names;
  }

  static GenerationResult generate(Map<String, XdsGenerator> gens, String type, Scenario s, PushContext push,
      PushRequest request, boolean wildcard, Set<String> names) {
    return gens.get(type).generate(s.proxy, push, new WatchedResource(type, wildcard, names), request);
  }

  static <T extends Message> List<T> unpack(GenerationResult r, Class<T> type) throws InvalidProtocolBufferException {
    List<T> out = new ArrayList<>();
    for (XdsResource res : r.resources()) {
      out.add(res.resource().unpack(type));
    }
    return out;
  }

  /** Every RDS name an HTTP connection manager of the listeners fetches. */
  static Set<String> routeNames(List<Listener> listeners) throws InvalidProtocolBufferException {
    Set<String> names = new TreeSet<>();
    for (Listener l : listeners) {
      List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
      if (l.hasDefaultFilterChain()) {
        chains.add(l.getDefaultFilterChain());
      }
      for (FilterChain c : chains) {
        for (Filter f : c.getFiltersList()) {
          if (f.getName().equals(Filters.HTTP_CONNECTION_MANAGER)) {
            HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
            if (hcm.hasRds()) {
              names.add(hcm.getRds().getRouteConfigName());
            }
          }
        }
      }
    }
    return names;
  }

  private static <T> List<T> sortedBy(List<T> items, java.util.function.Function<T, String> key) {
    return items.stream().sorted(Comparator.comparing(key)).toList();
  }
}

package dev.istiod.xds.core.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import dev.istiod.model.Service;
import dev.istiod.xds.EnvoyTypes;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.cluster.ClusterBuilder;
import dev.istiod.xds.core.endpoint.EndpointBuilder;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.listener.InboundListeners;
import dev.istiod.xds.gen.Scenario;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Istio mTLS reaches only proxies whose agent serves the certificates: a bare Envoy (no
 * {@code PROXY_CONFIG} in its node metadata, as the e2e harness bootstraps it) has no
 * {@code sds-grpc} cluster, and a reference to it would leave its clusters and listeners warming
 * forever. The scenarios are the mTLS golden inputs, with and without the agent's metadata.
 */
class MtlsGatingTest {
  static final Path GOLDEN = Path.of("src/test/resources/golden");

  @Test
  void bareEnvoy_getsNeitherAutoMtlsNorTlsChains() throws IOException {
    ProxyInputs in = inputs(bare("mtls-auto-outbound"));

    for (Cluster c : outboundClusters(in)) {
      assertThat(c.getTransportSocketMatchesList()).as(c.getName()).isEmpty();
      assertThat(c.hasTransportSocket()).as(c.getName()).isFalse();
    }
    Listener inbound = virtualInbound(in);
    assertThat(inbound.getFilterChainsList()).noneMatch(FilterChain::hasTransportSocket);
    assertThat(inbound.getListenerFiltersList()).noneMatch(f -> f.getName().equals(Filters.TLS_INSPECTOR));
    assertThat(json(inbound)).doesNotContain(EnvoyNames.SDS_AGENT_CLUSTER);
  }

  @Test
  void bareEnvoy_withIstioMutualRule_staysPlaintext() throws IOException {
    ProxyInputs in = inputs(bare("mtls-dr-istio-mutual"));

    assertThat(outboundClusters(in)).noneMatch(Cluster::hasTransportSocket);
  }

  @Test
  void bareEnvoy_underStrict_refusesConnectionsRatherThanTakePlaintext() throws IOException {
    ProxyInputs in = inputs(bare("pa-strict"));

    for (FilterChain chain : virtualInbound(in).getFilterChainsList()) {
      if (chain.getName().equals(EnvoyNames.VIRTUAL_INBOUND_BLACKHOLE_CHAIN)) {
        continue;
      }
      assertThat(chain.getFilterChainMatch().getTransportProtocol()).as(chain.getName()).isEmpty();
      assertThat(json(chain)).as(chain.getName()).contains(EnvoyNames.BLACK_HOLE_CLUSTER)
          .doesNotContain("inbound|").doesNotContain(EnvoyNames.INBOUND_PASSTHROUGH_CLUSTER);
    }
  }

  @Test
  void agentEnvoy_getsMtls() throws IOException {
    ProxyInputs in = inputs(read("mtls-auto-outbound"));

    assertThat(outboundClusters(in)).filteredOn(c -> c.getName().contains("reviews"))
        .allMatch(c -> c.getTransportSocketMatchesCount() == 2);
    assertThat(virtualInbound(in).getFilterChainsList()).anyMatch(FilterChain::hasTransportSocket);
  }

  @Test
  void agentEnvoy_withAutoMtlsOffInTheMesh_sendsPlaintextButStillAcceptsMtls() throws IOException {
    String yaml = read("mtls-auto-outbound").replace("meshConfig: |\n", "meshConfig: |\n  enableAutoMtls: false\n");
    ProxyInputs in = inputs(yaml);

    assertThat(outboundClusters(in)).allMatch(c -> c.getTransportSocketMatchesCount() == 0 && !c.hasTransportSocket());
    assertThat(virtualInbound(in).getFilterChainsList()).anyMatch(FilterChain::hasTransportSocket);
  }

  @Test
  void agentEnvoy_withoutCapture_boundIngressListenersTerminateMtlsUnderStrict() throws IOException {
    // pilot-agent outside Kubernetes (INTERCEPTION_MODE NONE): Sidecar ingress ports are real listeners.
    String yaml = read("sidecar-ingress").replace("  INTERCEPTION_MODE: NONE\n",
        "  INTERCEPTION_MODE: NONE\n  PROXY_CONFIG: {}\n") + """
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: default}
        spec:
          mtls: {mode: STRICT}
        """;

    List<Listener> listeners = new InboundListeners(inputs(yaml)).build();

    assertThat(listeners).extracting(Listener::getName).containsExactlyInAnyOrder("10.0.0.30_8080", "0.0.0.0_7070");
    for (Listener l : listeners) {
      assertThat(l.getFilterChainsList()).as(l.getName()).isNotEmpty()
          .allMatch(c -> c.hasTransportSocket() && c.getFilterChainMatch().getTransportProtocol().equals(Filters.TLS));
      assertThat(l.getListenerFiltersList()).as(l.getName()).extracting(f -> f.getName()).contains(Filters.TLS_INSPECTOR);
    }
  }

  @Test
  void endpointMarking_doesNotDependOnTheAgent() throws IOException {
    // The tlsMode metadata is inert without transport_socket_matches; it stays as upstream sends it.
    String cluster = "outbound|9080||reviews.default.svc.cluster.local";
    assertThat(json(EndpointBuilder.forCluster(inputs(bare("mtls-auto-outbound")), cluster)))
        .isEqualTo(json(EndpointBuilder.forCluster(inputs(read("mtls-auto-outbound")), cluster)));
  }

  @Test
  void goldenScenariosWithoutTheAgent_neverReferToItsSdsCluster() throws IOException {
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(GOLDEN)) {
      for (Path dir : dirs.filter(d -> Files.exists(d.resolve("input.yaml"))).sorted().toList()) {
        if (Files.readString(dir.resolve("input.yaml")).contains(AgentSds.AGENT_METADATA_KEY + ":")) {
          continue;
        }
        try (Stream<Path> files = Files.list(dir.resolve("expected"))) {
          for (Path f : files.toList()) {
            String text = Files.readString(f);
            if (text.contains(EnvoyNames.SDS_AGENT_CLUSTER) || text.contains("transportSocketMatches")) {
              offenders.add(GOLDEN.relativize(f).toString());
            }
          }
        }
      }
    }
    assertThat(offenders).isEmpty();
  }

  static String read(String scenario) throws IOException {
    return Files.readString(GOLDEN.resolve(scenario).resolve("input.yaml"));
  }

  /** The scenario as a bare Envoy would connect: the same node without pilot-agent's PROXY_CONFIG. */
  static String bare(String scenario) throws IOException {
    String yaml = read(scenario);
    String stripped = yaml.replaceAll("(?m)^  " + AgentSds.AGENT_METADATA_KEY + ":.*\\n", "");
    assertThat(stripped).isNotEqualTo(yaml);
    return stripped;
  }

  static ProxyInputs inputs(String yaml) throws IOException {
    Scenario s = Scenario.parse(yaml);
    return ProxyInputs.of(s.proxy(), s.push());
  }

  static List<Cluster> outboundClusters(ProxyInputs in) {
    List<Cluster> out = new ArrayList<>();
    ClusterBuilder builder = new ClusterBuilder(in);
    for (Service s : in.scope().services()) {
      out.addAll(builder.outbound(s));
    }
    return out;
  }

  static Listener virtualInbound(ProxyInputs in) {
    return new InboundListeners(in).build().stream()
        .filter(l -> l.getName().equals(EnvoyNames.VIRTUAL_INBOUND_LISTENER)).findFirst().orElseThrow();
  }

  static String json(MessageOrBuilder m) {
    try {
      return EnvoyTypes.printer().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}

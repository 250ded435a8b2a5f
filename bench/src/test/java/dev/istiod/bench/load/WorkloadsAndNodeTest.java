package dev.istiod.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workloads file, the node a simulated proxy sends, and the generator's independence from istiod's code. */
class WorkloadsAndNodeTest {
  @Test
  void workloadsFile_readsEveryColumn_skipsCommentsAndBlankLines(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("w.tsv");
    Files.writeString(file, """
        # ip\tpod\tnamespace\tserviceAccount\tlabels\tports\tkind
        10.1.0.7\treviews-v1-5d8f7c9b4-x2x2x\tbookinfo\tbookinfo-reviews\tapp=reviews,version=v1\t9080

        10.9.0.1\tingress-0\tistio-system\tingress-sa\tistio=ingressgateway\t-\trouter
        10.1.0.8\tdb-0\tdata\tdefault\t-
        """);
    List<Workload> w = Workloads.read(file);
    assertThat(w).hasSize(3);
    assertThat(w.get(0)).isEqualTo(new Workload(Workload.Kind.SIDECAR, "10.1.0.7", "reviews-v1-5d8f7c9b4-x2x2x",
        "bookinfo", "bookinfo-reviews", Map.of("app", "reviews", "version", "v1"), List.of(9080)));
    assertThat(w.get(0).workloadName()).isEqualTo("reviews-v1");
    assertThat(w.get(1).kind()).isEqualTo(Workload.Kind.ROUTER);
    assertThat(w.get(1).ports()).isEmpty();
    assertThat(w.get(2).labels()).isEmpty();
    assertThat(w.get(2).workloadName()).isEqualTo("db");
  }

  @Test
  void workloadsFile_badLine_namesTheLine(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("w.tsv");
    Files.writeString(file, "10.1.0.1\tp\tns\tsa\tapp=x\n10.1.0.2\tp2\tns\n");
    assertThatThrownBy(() -> Workloads.read(file)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("w.tsv:2:").hasMessageContaining("columns");
    Files.writeString(file, "10.1.0.1\tp\tns\tsa\tapp=x\t99999\n");
    assertThatThrownBy(() -> Workloads.read(file)).hasMessageContaining("w.tsv:1:").hasMessageContaining("99999");
  }

  @Test
  void sidecarNode_carriesPilotAgentsMetadata_andNoExtensions() {
    Workload w = Workloads.parseLine("10.1.0.7\treviews-v1-5d8f7c9b4-x2x2x\tbookinfo\tbookinfo-reviews\t"
        + "app=reviews,version=v1\t9080,9090");
    Node node = EnvoyNode.of(w, EnvoyNode.Options.defaults());
    assertThat(node.getId()).isEqualTo("sidecar~10.1.0.7~reviews-v1-5d8f7c9b4-x2x2x.bookinfo~bookinfo.svc.cluster.local");
    assertThat(node.getCluster()).isEqualTo("reviews.bookinfo");
    assertThat(node.getExtensionsList()).isEmpty();
    assertThat(node.getUserAgentName()).isEqualTo("envoy");
    assertThat(node.getUserAgentBuildVersion().getVersion().getMajorNumber()).isEqualTo(1);
    Map<String, Value> m = node.getMetadata().getFieldsMap();
    assertThat(m.get("NAMESPACE").getStringValue()).isEqualTo("bookinfo");
    assertThat(m.get("NAME").getStringValue()).isEqualTo("reviews-v1-5d8f7c9b4-x2x2x");
    assertThat(m.get("WORKLOAD_NAME").getStringValue()).isEqualTo("reviews-v1");
    assertThat(m.get("SERVICE_ACCOUNT").getStringValue()).isEqualTo("bookinfo-reviews");
    assertThat(m.get("INSTANCE_IPS").getStringValue()).isEqualTo("10.1.0.7");
    assertThat(m.get("CLUSTER_ID").getStringValue()).isEqualTo("Kubernetes");
    assertThat(m.get("MESH_ID").getStringValue()).isEqualTo("cluster.local");
    assertThat(m.get("INTERCEPTION_MODE").getStringValue()).isEqualTo("REDIRECT");
    assertThat(m.get("ISTIO_VERSION").getStringValue()).isEqualTo("1.31-dev");
    assertThat(m.get("ENVOY_STATUS_PORT").getNumberValue()).isEqualTo(15021);
    assertThat(m.get("ENVOY_PROMETHEUS_PORT").getNumberValue()).isEqualTo(15090);
    assertThat(m.get("POD_PORTS").getStringValue())
        .isEqualTo("[{\"containerPort\":9080,\"protocol\":\"TCP\"},{\"containerPort\":9090,\"protocol\":\"TCP\"}]");
    assertThat(m.get("PILOT_SAN").getListValue().getValues(0).getStringValue()).isEqualTo("istiod.istio-system.svc");
    Struct labels = m.get("LABELS").getStructValue();
    assertThat(labels.getFieldsMap()).containsEntry("app", str("reviews"))
        .containsEntry("security.istio.io/tlsMode", str("istio"))
        .containsEntry("service.istio.io/canonical-name", str("reviews"))
        .containsEntry("service.istio.io/canonical-revision", str("v1"));
    Struct proxyConfig = m.get("PROXY_CONFIG").getStructValue();
    assertThat(proxyConfig.getFieldsMap().get("discoveryAddress").getStringValue())
        .isEqualTo("istiod.istio-system.svc:15012");
  }

  @Test
  void gatewayNode_isARouterInIstioSystem() {
    Node node = EnvoyNode.of(Workloads.gateway(2), EnvoyNode.Options.defaults());
    assertThat(node.getId()).isEqualTo(
        "router~10.254.0.3~istio-ingressgateway-2.istio-system~istio-system.svc.cluster.local");
    Map<String, Value> m = node.getMetadata().getFieldsMap();
    assertThat(m.get("LABELS").getStructValue().getFieldsMap()).containsEntry("istio", str("ingressgateway"));
    assertThat(m).doesNotContainKey("INTERCEPTION_MODE");
    assertThat(m.get("WORKLOAD_NAME").getStringValue()).isEqualTo("istio-ingressgateway");
  }

  @Test
  void synthesizedSidecars_haveDistinctAddresses() {
    assertThat(Workloads.sidecar(0).ip()).isEqualTo("10.1.0.1");
    assertThat(Workloads.sidecar(255).ip()).isEqualTo("10.1.1.0");
    assertThat(Workloads.sidecar(70_000).ip()).isEqualTo("10.2.17.113");
  }

  /**
   * The generator must speak to upstream istiod and istiod-java the same way, so it may use none of istiod-java's
   * classes: no class of its package names a dev.istiod class outside it.
   */
  @Test
  void loadGenerator_referencesNoProductClass() throws IOException, URISyntaxException {
    Path root = Path.of(LoadGenerator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path pkg = root.resolve("dev/istiod/bench/load");
    try (Stream<Path> classes = Files.list(pkg)) {
      List<Path> all = classes.filter(p -> p.toString().endsWith(".class")).toList();
      assertThat(all).hasSizeGreaterThan(10);
      for (Path c : all) {
        String text;
        try (InputStream in = Files.newInputStream(c)) {
          text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        for (int i = text.indexOf("dev/istiod/"); i >= 0; i = text.indexOf("dev/istiod/", i + 1)) {
          assertThat(text.startsWith("dev/istiod/bench/load/", i)).as("%s refers to %s", c.getFileName(),
              text.substring(i, Math.min(text.length(), i + 60))).isTrue();
        }
      }
    }
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}

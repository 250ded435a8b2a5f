package dev.istiod.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.MeshConfigs;
import dev.istiod.webhook.AdmissionRequest;
import dev.istiod.webhook.AdmissionResponse;
import io.fabric8.zjsonpatch.JsonPatch;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden injection cases: {@code src/test/resources/inject/<case>/pod.yaml} is admitted through
 * the injection webhook, the returned JSON Patch applied, and the result compared with
 * {@code pod.yaml.injected} (keys sorted). An optional {@code case.yaml} sets the namespace, the
 * webhook path, native sidecars, the revision, and the injector ConfigMap's {@code values} /
 * {@code config} and the mesh config. Every case is also re-admitted as injected: the second
 * patch must be empty. {@code -Dgolden.update=true} rewrites the expected files.
 */
class InjectionGoldenTest {
  private static final Path ROOT = Path.of("src/test/resources/inject");
  private static final boolean UPDATE = Boolean.getBoolean("golden.update");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(ROOT)) {
      return dirs.filter(d -> Files.exists(d.resolve("pod.yaml"))).map(d -> d.getFileName().toString()).sorted()
          .toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void injectedPod_matchesGolden(String name) throws IOException {
    Path dir = ROOT.resolve(name);
    ObjectNode pod = PodYaml.read(Files.readString(dir.resolve("pod.yaml")));
    Case c = Case.read(dir.resolve("case.yaml"));

    ObjectNode injected = admit(c, pod);

    Path golden = dir.resolve("pod.yaml.injected");
    String actual = PodYaml.write(injected);
    if (UPDATE) {
      Files.writeString(golden, actual);
    }
    assertThat(golden).as("golden file (run with -Dgolden.update=true to create)").exists();
    assertThat(actual).as("injected pod of %s", name).isEqualTo(Files.readString(golden));
    assertThat(admit(c, injected)).as("re-injecting the injected pod changes nothing").isEqualTo(injected);
  }

  private static ObjectNode admit(Case c, ObjectNode pod) {
    InjectionWebhook webhook = new InjectionWebhook(() -> c.settings, () -> c.mesh,
        NativeSidecars.fixed(c.nativeSidecars), c.revision, "", new PrometheusRegistry());
    AdmissionRequest request = new AdmissionRequest("uid-1",
        new AdmissionRequest.GroupVersionKind("", "v1", "Pod"),
        new AdmissionRequest.GroupVersionResource("", "v1", "pods"), "",
        pod.path("metadata").path("name").asText(""), c.namespace, "CREATE", pod, MissingNode.getInstance(), false);
    AdmissionResponse response = webhook.admit(request, c.path);
    assertThat(response.allowed()).as("allowed: %s", response.message()).isTrue();
    if (response.patch().isEmpty()) {
      return pod;
    }
    return (ObjectNode) JsonPatch.apply(response.patch().get(), pod);
  }

  /** A case's settings. */
  private record Case(String namespace, String path, boolean nativeSidecars, String revision,
      InjectionSettings settings, MeshConfig mesh) {
    static Case read(Path file) throws IOException {
      JsonNode c = Files.exists(file) ? PodYaml.read(Files.readString(file)) : MissingNode.getInstance();
      JsonNode values = c.path("values");
      JsonNode config = c.path("config");
      Map<String, String> data = new java.util.HashMap<>();
      if (!values.isMissingNode()) {
        data.put(InjectionSettings.VALUES_KEY, values.toString());
      }
      if (!config.isMissingNode()) {
        data.put(InjectionSettings.CONFIG_KEY, config.isTextual() ? config.asText() : config.toString());
      }
      return new Case(c.path("namespace").asText("default"), c.path("path").asText("/inject"),
          c.path("nativeSidecars").asBoolean(false), c.path("revision").asText(""),
          InjectionSettings.fromConfigMap(data), MeshConfigs.parse(c.path("mesh").isMissingNode() ? ""
              : c.path("mesh").toString()));
    }
  }
}

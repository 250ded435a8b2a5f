package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Sidecar with {@code outboundTrafficPolicy: REGISTRY_ONLY}: through a real Envoy, a host the registry knows
 * answers from its backend, and a host it does not know gets 502 from Envoy ({@code block_all}) and never
 * reaches any backend.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SidecarRegistryOnlyE2ETest {
  static final String KNOWN = "known.example.com";

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void registryOnly_blocksUnknownHosts_andServesKnownOnes(AdsMode mode, TestInfo info) {
    Path work = Workspace.forTest(info);
    try (SidecarMesh mesh = new SidecarMesh(work)) {
      Backend known = SidecarMesh.onFreePort(p -> mesh.own(Backend.start("known", "127.0.0.2", p)));
      int port = known.port();
      mesh.config().write("known.yaml", config(port));
      mesh.start(mode);

      mesh.await("the known host answers", m ->
          assertThat(HttpCall.get("127.0.0.1", port, KNOWN, "/", Map.of()).servedBy()).isEqualTo("known"));
      known.clearRequests();

      for (int i = 0; i < 10; i++) {
        HttpCall.Reply blocked = HttpCall.get("127.0.0.1", port, "unknown.example.org", "/", Map.of());
        assertThat(blocked.status()).as("unknown host under REGISTRY_ONLY").isEqualTo(502);
        assertThat(blocked.servedBy()).isEmpty();
        assertThat(HttpCall.get("127.0.0.1", port, KNOWN, "/", Map.of()).status()).isEqualTo(200);
      }
      assertThat(known.requests()).as("requests the known backend saw").hasSize(10)
          .allSatisfy(r -> assertThat(r.headers()).containsEntry("host", KNOWN));
      mesh.assertNoRejects();
    }
  }

  static String config(int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: known, namespace: default}
        spec:
          hosts: [%1$s]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports:
          - {number: %2$d, name: http, protocol: HTTP}
          endpoints:
          - {address: 127.0.0.2}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress:
          - port: {number: %2$d, protocol: HTTP, name: http}
            bind: 127.0.0.1
            hosts: ["./*"]
          outboundTrafficPolicy:
            mode: REGISTRY_ONLY
        """.formatted(KNOWN, port);
  }
}

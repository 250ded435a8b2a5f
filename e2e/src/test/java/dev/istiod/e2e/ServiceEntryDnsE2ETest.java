package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ServiceEntries Envoy resolves itself: resolution DNS with an endpoint named {@code localhost} (a STRICT_DNS
 * cluster) and resolution DNS_ROUND_ROBIN for the host {@code localhost} itself (a LOGICAL_DNS cluster). Envoy
 * resolves the name to loopback and reaches each backend on the entry's targetPort, while the application
 * talks to the service port on the egress listener.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServiceEntryDnsE2ETest {
  static final String DNS_HOST = "api.dns.test";

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void dnsResolution_reachesTheBackendTheNameResolvesTo(AdsMode mode, TestInfo info) {
    Path work = Workspace.forTest(info);
    try (SidecarMesh mesh = new SidecarMesh(work)) {
      List<Integer> ports = Ports.freeLoopbackPorts(3);
      int servicePort = ports.get(0);
      Backend strictDns = mesh.own(Backend.start("strict-dns", "127.0.0.1", ports.get(1)));
      Backend logicalDns = mesh.own(Backend.start("logical-dns", "127.0.0.1", ports.get(2)));
      mesh.config().write("dns.yaml", config(servicePort, strictDns.port(), logicalDns.port()));
      mesh.start(mode);

      mesh.await("the DNS entry answers", m -> {
        assertThat(HttpCall.get("127.0.0.1", servicePort, DNS_HOST, "/", Map.of()).servedBy()).isEqualTo("strict-dns");
        assertThat(HttpCall.get("127.0.0.1", servicePort, "localhost", "/", Map.of()).servedBy()).isEqualTo("logical-dns");
      });
      for (int i = 0; i < 5; i++) {
        assertThat(HttpCall.get("127.0.0.1", servicePort, DNS_HOST, "/", Map.of()).servedBy()).isEqualTo("strict-dns");
        assertThat(HttpCall.get("127.0.0.1", servicePort, "localhost", "/", Map.of()).servedBy()).isEqualTo("logical-dns");
      }
      assertThat(mesh.envoy().admin("/clusters").body())
          .as("Envoy resolved the names to loopback")
          .contains("outbound|" + servicePort + "||" + DNS_HOST + "::127.0.0.1:" + strictDns.port())
          .contains("outbound|" + servicePort + "||localhost::127.0.0.1:" + logicalDns.port());
      mesh.assertNoRejects();
    }
  }

  static String config(int servicePort, int strictPort, int logicalPort) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: default}
        spec:
          hosts: [%1$s]
          location: MESH_EXTERNAL
          resolution: DNS
          ports:
          - {number: %2$d, name: http, protocol: HTTP, targetPort: %3$d}
          endpoints:
          - {address: localhost}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: localhost, namespace: default}
        spec:
          hosts: [localhost]
          location: MESH_EXTERNAL
          resolution: DNS_ROUND_ROBIN
          ports:
          - {number: %2$d, name: http, protocol: HTTP, targetPort: %4$d}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress:
          - port: {number: %2$d, protocol: HTTP, name: http}
            bind: 127.0.0.1
            hosts: ["./*"]
        """.formatted(DNS_HOST, servicePort, strictPort, logicalPort);
  }
}

package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS passthrough by SNI through a real Envoy: one TLS egress listener, two TLS backends with their own
 * certificates, and a VirtualService {@code tls} route per server name. The client's SNI picks the backend,
 * the TLS session is end to end (the client sees the backend's own certificate), and bytes echo back.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TlsPassthroughE2ETest {
  static final String ALPHA = "alpha.example.com";
  static final String BETA = "beta.example.com";

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void tlsRoute_picksTheBackendBySni_andTheClientSeesItsCertificate(AdsMode mode, TestInfo info) {
    Path work = Workspace.forTest(info);
    try (SidecarMesh mesh = new SidecarMesh(work)) {
      TestCertificate alphaCert = TestCertificate.selfSigned(ALPHA, work.resolve("certs"));
      TestCertificate betaCert = TestCertificate.selfSigned(BETA, work.resolve("certs"));
      int port = SidecarMesh.onFreePort(p -> {
        TcpBackend alpha = TcpBackend.startTls("tls-alpha", "127.0.0.2", p, alphaCert);
        try {
          mesh.own(TcpBackend.startTls("tls-beta", "127.0.0.3", p, betaCert));
        } catch (RuntimeException e) {
          alpha.close();
          throw e;
        }
        mesh.own(alpha);
        return p;
      });
      mesh.config().write("tls.yaml", config(port));
      mesh.start(mode);

      mesh.await("SNI alpha reaches the alpha backend", m ->
          assertThat(L4Call.tls("127.0.0.1", port, ALPHA).servedBy()).isEqualTo("tls-alpha"));
      for (int i = 0; i < 10; i++) {
        L4Call.Result a = L4Call.tls("127.0.0.1", port, ALPHA);
        L4Call.Result b = L4Call.tls("127.0.0.1", port, BETA);
        assertThat(a.servedBy()).isEqualTo("tls-alpha");
        assertThat(a.peerCertificateSubject()).as("certificate seen with SNI " + ALPHA).isEqualTo("CN=" + ALPHA);
        assertThat(b.servedBy()).isEqualTo("tls-beta");
        assertThat(b.peerCertificateSubject()).as("certificate seen with SNI " + BETA).isEqualTo("CN=" + BETA);
        assertThat(a.echoed() && b.echoed()).as("bytes echoed inside the TLS sessions").isTrue();
      }
      mesh.assertNoRejects();
    }
  }

  /**
   * Two TLS services on the same port without addresses, one egress listener on 127.0.0.1 for both, and a
   * VirtualService that routes each server name to its service (the listener is bound, so SNI is the only way
   * to tell the two apart).
   */
  static String config(int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: alpha, namespace: default}
        spec:
          hosts: [%1$s]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports:
          - {number: %3$d, name: tls, protocol: TLS}
          endpoints:
          - {address: 127.0.0.2}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: beta, namespace: default}
        spec:
          hosts: [%2$s]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports:
          - {number: %3$d, name: tls, protocol: TLS}
          endpoints:
          - {address: 127.0.0.3}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: by-sni, namespace: default}
        spec:
          hosts: [%1$s, %2$s]
          tls:
          - match:
            - sniHosts: [%1$s]
            route:
            - destination: {host: %1$s}
          - match:
            - sniHosts: [%2$s]
            route:
            - destination: {host: %2$s}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress:
          - port: {number: %3$d, protocol: TLS, name: tls}
            bind: 127.0.0.1
            hosts: ["./%1$s", "./%2$s"]
        """.formatted(ALPHA, BETA, port);
  }
}

package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A VirtualService {@code tcp} route moves raw TCP connections through a real Envoy: every connection to the
 * sidecar's TCP egress listener reaches the subset the route names, the bytes echo back end to end, and after
 * the file is edited to a 50/50 split connections land on both subsets.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TcpRouteE2ETest {
  static final String HOST = "db.example.internal";

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void tcpRoute_sendsConnectionsToTheRoutedSubset_thenSplitsByWeight(AdsMode mode, TestInfo info) {
    Path work = Workspace.forTest(info);
    try (SidecarMesh mesh = new SidecarMesh(work)) {
      int port = SidecarMesh.onFreePort(p -> {
        TcpBackend v1 = TcpBackend.start("tcp-v1", "127.0.0.2", p);
        try {
          mesh.own(TcpBackend.start("tcp-v2", "127.0.0.3", p));
        } catch (RuntimeException e) {
          v1.close();
          throw e;
        }
        mesh.own(v1);
        return p;
      });
      mesh.config().write("db.yaml", serviceAndSidecar(port));
      mesh.config().write("route.yaml", route(port, 0, 100));
      mesh.start(mode);

      mesh.await("connections reach v2", m -> assertThat(L4Call.tcp("127.0.0.1", port).servedBy()).isEqualTo("tcp-v2"));
      List<L4Call.Result> calls = calls(port, 20);
      assertThat(calls).extracting(L4Call.Result::servedBy).containsOnly("tcp-v2");
      assertThat(calls).allSatisfy(r -> assertThat(r.echoed()).as("bytes echoed through Envoy").isTrue());

      mesh.config().write("route.yaml", route(port, 50, 50));
      mesh.await("connections reach v1 after the edit", m ->
          assertThat(L4Call.tcp("127.0.0.1", port).servedBy()).isEqualTo("tcp-v1"));
      List<String> served = calls(port, 100).stream().map(L4Call.Result::servedBy).toList();
      assertThat(served).containsOnly("tcp-v1", "tcp-v2");
      // Loose bounds: for a fair split of 100 connections, falling outside [20, 80] has odds below 1e-8.
      assertThat(Collections.frequency(served, "tcp-v1")).as("connections to v1 of 100").isBetween(20, 80);
      mesh.assertNoRejects();
    }
  }

  private static List<L4Call.Result> calls(int port, int count) {
    List<L4Call.Result> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(L4Call.tcp("127.0.0.1", port));
    }
    return out;
  }

  /** The service (v1 on 127.0.0.2, v2 on 127.0.0.3), its subsets, and a TCP egress listener on 127.0.0.1. */
  static String serviceAndSidecar(int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: db, namespace: default}
        spec:
          hosts: [%1$s]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: %2$d, name: tcp, protocol: TCP}
          endpoints:
          - {address: 127.0.0.2, labels: {version: v1}}
          - {address: 127.0.0.3, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: db, namespace: default}
        spec:
          host: %1$s
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress:
          - port: {number: %2$d, protocol: TCP, name: tcp}
            bind: 127.0.0.1
            hosts: ["./%1$s"]
        """.formatted(HOST, port);
  }

  static String route(int port, int v1, int v2) {
    String destinations = v1 == 0
        ? "    - destination: {host: %s, subset: v2}\n".formatted(HOST)
        : "    - destination: {host: %1$s, subset: v1}\n      weight: %2$d\n    - destination: {host: %1$s, subset: v2}\n      weight: %3$d\n"
            .formatted(HOST, v1, v2);
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: db, namespace: default}
        spec:
          hosts: [%s]
          tcp:
          - match:
            - port: %d
            route:
        """.formatted(HOST, port) + destinations;
  }
}

package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Telemetry access logging through a real Envoy. The mesh config (istiod's {@code --meshConfig}) defines two
 * {@code envoyFileAccessLog} providers writing to one file in the test directory, each with its own line
 * prefix. Without Telemetry nothing is logged; a namespace Telemetry naming both makes Envoy write a line per
 * request for each; a workload Telemetry selecting the sidecar then disables one of them, and from then on only
 * the other writes. Both loggers share one file (Envoy opens a path once), so the line of the logger still on is
 * the proof that the disabled one's line, had it been written, would be there too.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AccessLogE2ETest {
  static final String HOST = "known.example.com";
  static final String ID_HEADER = "x-e2e-id";

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void namespaceTelemetry_logsEveryRequest_andWorkloadTelemetry_disablesOneProvider(AdsMode mode, TestInfo info)
      throws IOException {
    Path work = Workspace.forTest(info);
    Path accessLog = work.resolve("access.log");
    Path meshFile = work.resolve("mesh.yaml");
    Files.writeString(meshFile, meshConfig(accessLog), StandardCharsets.UTF_8);
    AtomicInteger ids = new AtomicInteger();
    try (SidecarMesh mesh = new SidecarMesh(work)) {
      Backend known = SidecarMesh.onFreePort(p -> mesh.own(Backend.start("known", "127.0.0.2", p)));
      int port = known.port();
      mesh.config().write("known.yaml", SidecarRegistryOnlyE2ETest.config(port));
      mesh.start(mode, List.of("--meshConfig", meshFile.toString()));

      String before = "none-" + ids.incrementAndGet();
      mesh.await("the known host answers", m -> assertThat(send(port, before).servedBy()).isEqualTo("known"));

      String cluster = " 200 outbound|" + port + "||" + HOST;
      mesh.config().write("telemetry.yaml", namespaceTelemetry());
      mesh.await("both providers log a request", m -> {
        String id = "ns-" + ids.incrementAndGet();
        assertThat(send(port, id).status()).isEqualTo(200);
        assertThat(flushedLines(accessLog, "control " + id + cluster)).contains("e2e " + id + cluster);
      });

      mesh.config().write("quiet.yaml", workloadTelemetryDisablingE2e());
      mesh.await("only the control provider logs", m -> {
        String id = "quiet-" + ids.incrementAndGet();
        String probe = "probe-" + ids.incrementAndGet();
        assertThat(send(port, id).status()).isEqualTo(200);
        assertThat(send(port, probe).status()).isEqualTo(200);
        // Envoy wrote id's lines before probe's control line: once that is in the file, so are they.
        assertThat(flushedLines(accessLog, "control " + probe + cluster)).as("lines of the disabled provider")
            .contains("control " + id + cluster)
            .noneMatch(l -> l.startsWith("e2e " + id + " "));
      });
      assertThat(lines(accessLog)).as("lines of the request sent before any Telemetry")
          .noneMatch(l -> l.contains(" " + before + " "));
      mesh.assertNoRejects();
    }
  }

  private static HttpCall.Reply send(int port, String id) {
    return HttpCall.get("127.0.0.1", port, HOST, "/", Map.of(ID_HEADER, id));
  }

  /**
   * The file's lines once {@code line} is among them. Envoy flushes access logs about once a second, so a line
   * not there yet is waited for, briefly: a request whose logger is not configured yet never gets one, and the
   * caller's outer wait then tries again with a new request.
   */
  private static List<String> flushedLines(Path file, String line) {
    try {
      org.awaitility.Awaitility.await("access log line " + line).atMost(java.time.Duration.ofSeconds(5))
          .pollInterval(java.time.Duration.ofMillis(100)).until(() -> lines(file).contains(line));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("no access log line " + line + " in " + file, e);
    }
    return lines(file);
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String meshConfig(Path accessLog) {
    return """
        extensionProviders:
        - name: e2e
          envoyFileAccessLog:
            path: %1$s
            logFormat: {text: "e2e %%REQ(X-E2E-ID)%% %%RESPONSE_CODE%% %%UPSTREAM_CLUSTER_RAW%%"}
        - name: control
          envoyFileAccessLog:
            path: %1$s
            logFormat: {text: "control %%REQ(X-E2E-ID)%% %%RESPONSE_CODE%% %%UPSTREAM_CLUSTER_RAW%%"}
        """.formatted(accessLog);
  }

  static String namespaceTelemetry() {
    return """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: access-logs, namespace: default}
        spec:
          accessLogging:
          - providers: [{name: e2e}, {name: control}]
        """;
  }

  /** Names both providers, so both stay in scope for the workload, and turns {@code e2e} off. */
  static String workloadTelemetryDisablingE2e() {
    return """
        apiVersion: telemetry.istio.io/v1alpha1
        kind: Telemetry
        metadata: {name: client-quiet, namespace: default}
        spec:
          selector:
            matchLabels: {app: %s}
          accessLogging:
          - providers: [{name: control}]
          - providers: [{name: e2e}]
            disabled: true
        """.formatted(SidecarNode.client().labels().get("app"));
  }
}

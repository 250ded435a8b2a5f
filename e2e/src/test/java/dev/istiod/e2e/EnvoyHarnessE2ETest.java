package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The harness itself, without istiod: the Envoy the scripts install is upstream 1.40, it accepts the sidecar
 * bootstrap the other tests give it, and traffic through it reaches a {@link Backend}.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EnvoyHarnessE2ETest {

  @Test
  void installedEnvoy_isUpstream1_40() throws Exception {
    Process version = new ProcessBuilder(Toolchain.envoyBinary().toString(), "--version")
        .redirectErrorStream(true).start();
    version.getOutputStream().close();
    String out = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(version.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("/1.40.");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void sidecarBootstrap_passesEnvoyValidation(AdsMode mode, TestInfo info) throws Exception {
    Path dir = Workspace.forTest(info);
    Path bootstrap = dir.resolve("envoy-bootstrap.yaml");
    Files.writeString(bootstrap, EnvoyBootstrap.sidecar(SidecarNode.client(), mode, 15010, Ports.freeLoopbackPort()));
    Path log = dir.resolve("envoy-validate.log");
    Process validate = new ProcessBuilder(List.of(Toolchain.envoyBinary().toString(), "--mode", "validate",
        "--config-path", bootstrap.toString(), "--base-id", Integer.toString(Ports.freeLoopbackPort())))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    validate.getOutputStream().close();
    assertThat(validate.waitFor(60, TimeUnit.SECONDS)).as("envoy --mode validate finished").isTrue();
    assertThat(validate.exitValue()).as("envoy --mode validate exit code; see %s", log).isZero();
    assertThat(Files.readString(bootstrap)).contains("api_type: " + mode.envoyApiType())
        .contains("sidecar~127.0.0.1~client-1.default~default.svc.cluster.local");
  }

  @Test
  void staticEnvoy_forwardsRequestToBackend_withHeaders(TestInfo info) throws IOException {
    Path dir = Workspace.forTest(info);
    int listenerPort = Ports.freeLoopbackPort();
    try (Backend backend = Backend.start("echo", "127.0.0.2", 0);
        EnvoyProcess envoy = EnvoyProcess.startStatic(dir, listenerPort, backend.address(), backend.port())) {
      HttpCall.Reply reply = HttpCall.get("127.0.0.1", listenerPort, "echo.example", "/hello",
          Map.of("end-user", "jason"));

      assertThat(reply.status()).as("reply %s", reply).isEqualTo(200);
      assertThat(reply.servedBy()).isEqualTo("echo");
      assertThat(reply.body()).isEqualTo("echo\n");
      assertThat(backend.requests()).singleElement().satisfies(request -> {
        assertThat(request.path()).isEqualTo("/hello");
        assertThat(request.headers()).containsEntry("end-user", "jason").containsEntry("host", "echo.example")
            .containsKey("x-request-id"); // added by Envoy: the request went through it
      });
      assertThat(envoy.stats("^cluster\\.backend\\.upstream_rq_total$"))
          .containsEntry("cluster.backend.upstream_rq_total", 1L);
    }
  }
}

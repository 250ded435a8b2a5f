package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A port that is already taken: {@code istiod discovery}, run as its own process through the real
 * main, exits non-zero with one line that names the flag, the address and the reason, and does
 * nothing else first (no CA root is created, no config is read).
 */
class PortClashTest {
  private static final List<String> FLAGS =
      List.of("--grpcAddr", "--secureGRPCAddr", "--httpAddr", "--httpsAddr", "--monitoringAddr");

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"--httpAddr", "--grpcAddr", "--secureGRPCAddr", "--httpsAddr", "--monitoringAddr"})
  void aTakenPort_endsStartUpWithOneLineNamingFlagAddressAndReason(String clashing) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "discovery",
          "--configDir", dir.resolve("config").toString(), "--meshConfig", dir.resolve("no-mesh").toString()));
      for (String flag : FLAGS) {
        command.add(flag);
        command.add(flag.equals(clashing) ? address : "127.0.0.1:0");
      }
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().put("ISTIOD_LOCAL_CA_DIR", dir.resolve("ca").toString());
      Process istiod = builder.start();
      String output;
      try {
        assertThat(istiod.waitFor(60, TimeUnit.SECONDS)).as("istiod exits").isTrue();
        output = new String(istiod.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } finally {
        istiod.destroyForcibly();
      }

      assertThat(istiod.exitValue()).as(output).isNotZero();
      assertThat(output.lines().toList()).as(output).hasSize(1);
      assertThat(output).contains(clashing + " " + address + ": address already in use")
          .doesNotContain("\tat ").doesNotContain("Exception");
      assertThat(Files.exists(dir.resolve("ca"))).as("the CA did not start").isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0:15010", ":15010", "localhost:8080", "127.0.0.1:0"})
  void addressesAreShownAsTheFlagWouldTakeThem(String flag) throws IOException {
    assertThat(BoundPorts.goStyle(Addresses.parse("--grpcAddr", flag)))
        .isEqualTo(flag.startsWith("0.0.0.0") ? ":15010" : flag);
  }
}

package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeconfigFileTest {
  @TempDir Path dir;

  private Path kubeconfig(String user) throws IOException {
    return Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
        contexts:
        - name: ctx
          context: {cluster: c, user: u}
        current-context: ctx
        users:
        - name: u
          user: %s
        """.formatted(user));
  }

  @Test
  void read_clientCertificate_isNeverRefreshedFromTheFile() throws IOException {
    Config config = KubeconfigFile.read(kubeconfig("{client-certificate-data: Y2VydA==, client-key-data: a2V5}"));

    assertThat(config.getMasterUrl()).startsWith("https://127.0.0.1:6443");
    assertThat(config.getClientCertData()).isEqualTo("Y2VydA==");
    // fabric8 re-reads the file for a new token only while the config has none of its own.
    assertThat(config.getOauthToken()).isEmpty();
  }

  @Test
  void read_bearerToken_staysRefreshable() throws IOException {
    Config config = KubeconfigFile.read(kubeconfig("{token: abc}"));

    assertThat(config.getAutoOAuthToken()).isEqualTo("abc");
    assertThat(config.getOauthToken()).isNull();
    assertThat(KubeconfigFile.certificateOnly(config)).isFalse();
  }

  @Test
  void read_missingFile_saysWhichFile() {
    Path missing = dir.resolve("absent");
    assertThatThrownBy(() -> KubeconfigFile.read(missing))
        .isInstanceOf(IOException.class).hasMessageContaining(missing.toString()).hasMessageContaining("not readable");
  }
}

package dev.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.Pem;
import dev.istiod.ca.testing.MutableClock;
import dev.istiod.ca.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluggedCaTest {
  private static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");

  @TempDir
  Path dir;

  private final TestPki.Hierarchy h = TestPki.hierarchy(NOW, Duration.ofDays(365));

  private void writeIstioLayout(TestPki.Hierarchy hierarchy) throws Exception {
    Files.writeString(dir.resolve("ca-cert.pem"), Pem.encode(hierarchy.intermediate()));
    Files.writeString(dir.resolve("ca-key.pem"), Pem.encodeKey(hierarchy.intermediateKeys().getPrivate()));
    Files.writeString(dir.resolve("root-cert.pem"), Pem.encode(hierarchy.root()));
    Files.writeString(dir.resolve("cert-chain.pem"), Pem.encode(List.of(hierarchy.intermediate(), hierarchy.root())));
  }

  @Test
  void emptyDirectory_meansSelfSigned() {
    assertThat(PluggedCa.detect(dir)).isEmpty();
    assertThat(PluggedCa.detect(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void istioLayout_loads() throws Exception {
    writeIstioLayout(h);

    KeyCertBundle b = PluggedCa.detect(dir).orElseThrow().load(NOW);

    assertThat(b.signingCert()).isEqualTo(h.intermediate());
    assertThat(b.roots()).containsExactly(h.root());
    assertThat(b.certChain()).containsExactly(h.intermediate(), h.root());
  }

  @Test
  void tlsSecretLayout_loads() throws Exception {
    Files.writeString(dir.resolve("tls.crt"), Pem.encode(h.intermediate()));
    Files.writeString(dir.resolve("tls.key"), Pem.encodeKey(h.intermediateKeys().getPrivate()));
    Files.writeString(dir.resolve("ca.crt"), Pem.encode(h.root()));

    KeyCertBundle b = PluggedCa.detect(dir).orElseThrow().load(NOW);

    assertThat(b.signingCert()).isEqualTo(h.intermediate());
    assertThat(b.roots()).containsExactly(h.root());
    assertThat(b.certChain()).containsExactly(h.intermediate(), h.root());
  }

  @Test
  void partialBundle_isAnErrorNamingTheMissingFiles() throws Exception {
    writeIstioLayout(h);
    Files.delete(dir.resolve("cert-chain.pem"));
    Files.delete(dir.resolve("ca-key.pem"));

    assertThatThrownBy(() -> PluggedCa.detect(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("incomplete signing CA bundle")
        .hasMessageContaining("ca-key.pem")
        .hasMessageContaining("cert-chain.pem")
        .message().doesNotContain("root-cert.pem");
  }

  @Test
  void signingCertThatIsNotACa_isRejected() throws Exception {
    KeyPair leafKeys = TestPki.ec();
    X509Certificate notCa = TestPki.intermediate(h.rootKeys(), h.root(), leafKeys, NOW, Duration.ofDays(30), false);
    writeIstioLayout(new TestPki.Hierarchy(h.rootKeys(), h.root(), leafKeys, notCa));

    assertThatThrownBy(() -> PluggedCa.detect(dir).orElseThrow().load(NOW))
        .hasMessageContaining("not authorized to sign other certificates");
  }

  @Test
  void keyOfAnotherCertificate_isRejected() throws Exception {
    writeIstioLayout(h);
    Files.writeString(dir.resolve("ca-key.pem"), Pem.encodeKey(TestPki.ec().getPrivate()));

    assertThatThrownBy(() -> PluggedCa.detect(dir).orElseThrow().load(NOW))
        .hasMessageContaining("the cert does not match the key");
  }

  @Test
  void watcher_reloadsANewIntermediate_underTheSameRoot() throws Exception {
    writeIstioLayout(h);
    MutableClock clock = new MutableClock(NOW);
    PluggedCa files = PluggedCa.detect(dir).orElseThrow();
    IstioCa ca = new IstioCa(files.load(NOW), Duration.ofHours(24), Duration.ofDays(90), clock);
    PluggedCaWatcher watcher = new PluggedCaWatcher(ca, files, clock);
    assertThat(watcher.checkNow()).isEqualTo(PluggedCaWatcher.Outcome.UNCHANGED);

    KeyPair newKeys = TestPki.ec();
    X509Certificate renewed = TestPki.intermediate(h.rootKeys(), h.root(), newKeys, NOW.plusSeconds(5),
        Duration.ofDays(365), true);
    writeIstioLayout(new TestPki.Hierarchy(h.rootKeys(), h.root(), newKeys, renewed));

    assertThat(watcher.checkNow()).isEqualTo(PluggedCaWatcher.Outcome.RELOADED);
    assertThat(ca.bundle().signingCert()).isEqualTo(renewed);
  }

  @Test
  void watcher_keepsTheCurrentCa_whenTheNewFilesAreBroken_orTheRootIsReplaced() throws Exception {
    writeIstioLayout(h);
    MutableClock clock = new MutableClock(NOW);
    PluggedCa files = PluggedCa.detect(dir).orElseThrow();
    IstioCa ca = new IstioCa(files.load(NOW), Duration.ofHours(24), Duration.ofDays(90), clock);
    PluggedCaWatcher watcher = new PluggedCaWatcher(ca, files, clock);

    Files.delete(dir.resolve("ca-key.pem"));
    assertThat(watcher.checkNow()).isEqualTo(PluggedCaWatcher.Outcome.REJECTED);

    writeIstioLayout(TestPki.hierarchy(NOW, Duration.ofDays(365)));
    assertThat(watcher.checkNow()).isEqualTo(PluggedCaWatcher.Outcome.REJECTED);
    assertThat(ca.bundle().signingCert()).isEqualTo(h.intermediate());
  }
}

package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PushVersionsTest {
  @Test
  void versionIsRfc3339TimeAndCounter_nonceIsVersionAndARandomVersion4Uuid() {
    PushVersions versions = new PushVersions(Clock.fixed(Instant.parse("2026-12-07T23:50:01.5Z"), ZoneOffset.UTC));
    String version = versions.next();
    assertThat(version).isEqualTo("2026-12-07T23:50:01Z/1");
    Set<String> nonces = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String nonce = PushVersions.nonce(version);
      assertThat(nonce).startsWith(version);
      UUID uuid = UUID.fromString(nonce.substring(version.length()));
      assertThat(uuid.version()).isEqualTo(4);
      assertThat(uuid.variant()).isEqualTo(2);
      nonces.add(nonce);
    }
    assertThat(nonces).hasSize(1000);
  }
}

package dev.istiod.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {
  @Test
  void parse_goForms_matchGoSemantics() {
    assertThat(GoDuration.parse("100ms")).isEqualTo(Duration.ofMillis(100));
    assertThat(GoDuration.parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(GoDuration.parse("-2s")).isEqualTo(Duration.ofSeconds(-2));
  }

  @Test
  void parse_garbage_failsNamingInput() {
    assertThatThrownBy(() -> GoDuration.parse("10")).hasMessageContaining("\"10\"");
    assertThatThrownBy(() -> GoDuration.parse("5 s")).hasMessageContaining("\"5 s\"");
    assertThatThrownBy(() -> GoDuration.parse("1x")).hasMessageContaining("\"1x\"");
    assertThatThrownBy(() -> GoDuration.parse("3000000h")).hasMessageContaining("\"3000000h\"");
  }

  @Test
  void toProtoJson_usesSecondsWithFraction() {
    assertThat(GoDuration.toProtoJson(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(GoDuration.toProtoJson(Duration.ofHours(1))).isEqualTo("3600s");
    assertThat(GoDuration.toProtoJson(Duration.ofMillis(-1500))).isEqualTo("-1.5s");
    assertThat(GoDuration.toProtoJson(Duration.ofNanos(1))).isEqualTo("0.000000001s");
    assertThat(GoDuration.toProtoJson(Duration.ofHours(24))).isEqualTo("86400s");
  }
}

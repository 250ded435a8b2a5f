package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The discovery command's flags take the forms upstream's chart and users pass them in. */
class FlagsTest {
  private final Flags flags = DiscoveryCommand.flags(Map.of());

  @Test
  void theChartsArgs_spaceAndEqualsForms_andASwitch() {
    Map<String, String> v = flags.parse(List.of("--monitoringAddr=:15014", "--log_output_level=default:info",
        "--domain", "cluster.local", "--keepaliveMaxServerConnectionAge", "30m", "--log_as_json"));
    assertThat(v).containsEntry("monitoringAddr", ":15014").containsEntry("log_output_level", "default:info")
        .containsEntry("domain", "cluster.local").containsEntry("keepaliveMaxServerConnectionAge", "30m")
        .containsEntry("log_as_json", "true").containsEntry("grpcAddr", ":15010").containsEntry("help", "false");
  }

  @Test
  void clusterIdDefaultsToTheEnvironment() {
    assertThat(DiscoveryCommand.flags(Map.of("CLUSTER_ID", "east")).parse(List.of())).containsEntry("clusterID", "east");
    assertThat(flags.parse(List.of())).containsEntry("clusterID", "Kubernetes");
  }

  @Test
  void badInput_isAUsageErrorNamingTheFlag() {
    assertThatThrownBy(() -> flags.parse(List.of("--nope", "x"))).isInstanceOf(Flags.UsageException.class)
        .hasMessage("unknown flag: --nope");
    assertThatThrownBy(() -> flags.parse(List.of("--domain"))).isInstanceOf(Flags.UsageException.class)
        .hasMessage("flag needs an argument: --domain");
    assertThatThrownBy(() -> flags.parse(List.of("--log_as_json=maybe"))).isInstanceOf(Flags.UsageException.class)
        .hasMessageContaining("not a boolean");
    assertThatThrownBy(() -> flags.parse(List.of("stray"))).isInstanceOf(Flags.UsageException.class)
        .hasMessageContaining("stray");
  }

  @Test
  void helpListsEveryVisibleFlagWithItsDefault() {
    assertThat(flags.parse(List.of("-h"))).containsEntry("help", "true");
    assertThat(flags.usage("istiod discovery", DiscoveryCommand.DESCRIPTION))
        .contains("--grpcAddr", "(default \":15010\")", "--configDir", "--help").doesNotContain("log_as_json");
  }

  @Test
  void unknownCommand_exitsWith2() throws Exception {
    assertThat(Main.run(List.of("nope"))).isEqualTo(2);
    assertThat(Main.run(List.of("version"))).isZero();
  }
}

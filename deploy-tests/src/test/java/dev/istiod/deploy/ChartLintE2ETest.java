package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code helm lint --strict} passes for both charts, with their defaults and with every golden scenario's values. */
@Tag("e2e")
class ChartLintE2ETest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"base", "istiod"})
  void lintsCleanWithDefaults(String chart) {
    Command.Result result = Helm.run("lint", "--strict", Repo.chart(chart).toString());
    assertThat(result.ok()).as(result::describe).isTrue();
    assertThat(result.stdout()).contains("1 chart(s) linted, 0 chart(s) failed");
  }

  static List<String> scenarios() {
    return Golden.scenarios();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void lintsCleanWithScenarioValues(String scenario) {
    Command.Result result = Helm.run("lint", "--strict", Repo.chart(Golden.chartOf(scenario)).toString(),
        "-f", Golden.dir().resolve(scenario).resolve("values.yaml").toString());
    assertThat(result.ok()).as(result::describe).isTrue();
  }
}

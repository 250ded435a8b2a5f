package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Values in, manifests out: each golden scenario renders exactly its rendered.yaml (see {@link Golden}). */
@Tag("e2e")
class ChartGoldenE2ETest {

  static List<String> scenarios() {
    return Golden.scenarios();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void rendersTheExpectedManifests(String scenario) {
    Path dir = Golden.dir().resolve(scenario);
    String chart = Golden.chartOf(scenario);
    String actual = Golden.normalize(
        Helm.template(chart, "-f", dir.resolve("values.yaml").toString()).orFail().stdout());
    Path expectedFile = dir.resolve("rendered.yaml");
    if (Golden.update()) {
      Repo.write(expectedFile, actual);
      return;
    }
    assertThat(expectedFile).withFailMessage("%s has no rendered.yaml; write it with -Dgolden.update=true", scenario)
        .exists();
    String expected = Repo.read(expectedFile);
    assertThat(actual)
        .withFailMessage(() -> scenario + " renders differently from " + Repo.root().relativize(expectedFile) + "; "
            + Golden.firstDifference(expected, actual)
            + "(a deliberate change: mvn -Pe2e -pl deploy-tests verify -Dgolden.update=true, then review the diff)")
        .isEqualTo(expected);
  }
}

package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * values.schema.json turns a typo or a wrong type into a failed install that names the key, instead of a value
 * Helm would silently ignore or render into a broken manifest.
 */
@Tag("e2e")
class ValuesSchemaE2ETest {

  @ParameterizedTest(name = "istiod --set {0}")
  @CsvSource(delimiter = '|', textBlock = """
      autoscaleEnabeld=false           | at '': additional properties 'autoscaleEnabeld' not allowed
      global.proxy.logLevle=debug      | at '/global/proxy': additional properties 'logLevle' not allowed
      sidecarInjectorWebhook.template=x | at '/sidecarInjectorWebhook': additional properties 'template' not allowed
      pilot.autoscaleEnabled=false     | at '': additional properties 'pilot' not allowed
      defaults.hub=docker.io/x         | at '': additional properties 'defaults' not allowed
      replicaCount=two                 | at '/replicaCount': got string, want integer
      autoscaleEnabled=yes             | at '/autoscaleEnabled': got string, want boolean
      resources=2Gi                    | at '/resources': got string, want object
      global.proxy.autoInject=on       | at '/global/proxy/autoInject': value must be one of 'enabled', 'disabled'
      sidecarInjectorWebhook.reinvocationPolicy=Always | at '/sidecarInjectorWebhook/reinvocationPolicy': value must be one of 'Never', 'IfNeeded'
      revision=Canary_1                | at '/revision': 'Canary_1' does not match pattern
      keepaliveMaxServerConnectionAge=thirty | at '/keepaliveMaxServerConnectionAge': 'thirty' does not match pattern
      """)
  void istiodChartRefuses(String setting, String message) {
    Command.Result result = Helm.template("istiod", "--set", setting);
    assertThat(result.ok()).as("helm template --set %s should fail", setting).isFalse();
    assertThat(result.stderr())
        .contains("values don't meet the specifications of the schema(s)")
        .contains(message);
  }

  @ParameterizedTest(name = "base --set {0}")
  @CsvSource(delimiter = '|', textBlock = """
      base.excludedCRD=x                     | at '/base': additional properties 'excludedCRD' not allowed
      base.validationFailurePolicy=Sometimes | at '/base/validationFailurePolicy': value must be one of '', 'Fail', 'Ignore'
      base.enableCRDTemplates=maybe          | at '/base/enableCRDTemplates': got string, want boolean
      """)
  void baseChartRefuses(String setting, String message) {
    Command.Result result = Helm.template("base", "--set", setting);
    assertThat(result.ok()).as("helm template --set %s should fail", setting).isFalse();
    assertThat(result.stderr()).contains(message);
  }

  @Test
  void annotationValuesMustBeStrings() {
    // An unquoted number in an annotation map would render into a manifest the API server rejects later.
    Command.Result result = Helm.template("istiod", "--set-json", "podAnnotations={\"prometheus.io/port\":15014}");
    assertThat(result.ok()).isFalse();
    assertThat(result.stderr()).contains("at '/podAnnotations/prometheus.io~1port': got number, want string");
  }

  @Test
  void upstreamStyleTopLevelValuesAreAccepted() {
    Command.Result result = Helm.template("istiod", "--set", "autoscaleEnabled=false", "--set", "replicaCount=2",
        "--set", "global.proxy.holdApplicationUntilProxyStarts=true",
        "--set", "env.PILOT_ENABLE_STATUS=true", "--set", "tag=1.28");
    assertThat(result.ok()).as(result::describe).isTrue();
    assertThat(result.stdout()).contains("replicas: 2").doesNotContain("kind: HorizontalPodAutoscaler");
  }
}

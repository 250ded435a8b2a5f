package dev.istiod.xds.core.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every VirtualService HTTP feature has its own golden scenario that uses it (GoldenTest compares
 * the output, EnvoyValidationTest has the real Envoy accept it): removing one fails here.
 */
class VirtualServiceScenariosTest {
  static final Path GOLDEN = Path.of("src/test/resources/golden");

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "vs-match-uri, 'regex:'",
      "vs-match-uri, 'ignoreUriCase:'",
      "vs-match-headers, 'withoutHeaders:'",
      "vs-match-request-attributes, 'queryParams:'",
      "vs-match-request-attributes, 'scheme:'",
      "vs-match-port, 'port: 8080'",
      "vs-match-source, 'sourceLabels:'",
      "vs-match-source, 'sourceNamespace:'",
      "vs-match-gateways, 'gateways:'",
      "vs-match-name, 'statPrefix:'",
      "vs-weights, 'weight:'",
      "vs-timeout-retries, 'perTryTimeout:'",
      "vs-timeout-retries, 'retryRemoteLocalities:'",
      "vs-rewrite, 'uriRegexRewrite:'",
      "vs-redirect, 'derivePort:'",
      "vs-direct-response, 'directResponse:'",
      "vs-fault, 'fixedDelay:'",
      "vs-fault, 'grpcStatus:'",
      "vs-mirror, 'mirrors:'",
      "vs-headers, 'remove:'",
      "vs-cors, 'corsPolicy:'",
      "vs-delegate, 'delegate:'",
      "vs-merge, 'reviews-b'",
      "vs-exportto, 'exportTo:'",
      "vs-hash-policy, 'consistentHash:'",
      "vs-invalid-routes-dropped, 'regex:'"})
  void scenario_existsAndUsesItsFeature(String scenario, String feature) throws IOException {
    Path input = GOLDEN.resolve(scenario).resolve("input.yaml");

    assertThat(input).exists();
    assertThat(Files.readString(input)).contains(feature);
    assertThat(GOLDEN.resolve(scenario).resolve("expected/routes.yaml")).exists();
  }
}

package dev.istiod.xds.core.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Re2RegexesTest {
  /**
   * Program sizes Envoy 1.40 reported for these regexes (each padded with {@code a{100}} so that it
   * exceeds the limit and Envoy prints the size); the estimate must not fall below them.
   */
  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "a{100};104",
      "a{200};204",
      "(?:[a-f0-9]{16})a{100};136",
      "(?:/v[0-9]+/.*)a{100};111",
      "(?:\\w+)a{100};108",
      "(?:jason|mike|bob)a{100};116",
      "(?:\\d{3})a{100};107",
      "(?:.+\\.example\\.com)a{100};119",
      "/(a|b){40};125",
      "[a-z0-9-]{2,40}\\.example\\.com;174",
      "[a-f0-9]{64};132"})
  void estimatedProgramSize_isAtLeastWhatEnvoyMeasured(String regex, int envoySize) {
    int estimate = Re2Regexes.estimatedProgramSize(regex, Pattern.compile(regex));

    assertThat(estimate).isGreaterThanOrEqualTo(envoySize).isLessThanOrEqualTo(envoySize + 10);
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "[a-f0-9]{64};true",
      "[a-f0-9]{40};false",
      "/(a|b){120};true",
      "/api/v[0-9]+/.*;false",
      "(unclosed;true"})
  void problem_reportsWhatEnvoyRejects(String regex, boolean rejected) {
    assertThat(Re2Regexes.problem(regex).isPresent()).as(regex).isEqualTo(rejected);
  }
}

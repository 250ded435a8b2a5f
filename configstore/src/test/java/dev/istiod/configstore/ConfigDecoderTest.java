package dev.istiod.configstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.Durations;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.api.security.v1beta1.PeerAuthentication;
import dev.istiod.model.Config;
import dev.istiod.model.Kind;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigDecoderTest {
  private final ConfigDecoder strict = new ConfigDecoder(KindRegistry.istio(), DecodeMode.STRICT);
  private final ConfigDecoder lenient = new ConfigDecoder(KindRegistry.istio(), DecodeMode.LENIENT);

  private static String vs(String apiVersion, String spec) {
    return "apiVersion: " + apiVersion + "\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n" + spec;
  }

  @ParameterizedTest
  @ValueSource(strings = {"networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"})
  void decodeYaml_everyNetworkingVersion_decodesTheSameSpec(String apiVersion) {
    DecodeResult r = strict.decodeYaml(vs(apiVersion, "  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n"), "vs.yaml");
    assertThat(r.errors()).isEmpty();
    Config c = r.configs().get(0);
    assertThat(c.kind()).isEqualTo(Kind.VIRTUAL_SERVICE);
    assertThat(c.spec(VirtualService.class).getHosts(0)).isEqualTo("reviews");
  }

  @Test
  void decodeYaml_goDurations_becomeProtoDurations() {
    DecodeResult r = strict.decodeYaml(vs("networking.istio.io/v1", """
          hosts: [reviews]
          http:
          - timeout: 1h30m
            retries: {attempts: 3, perTryTimeout: 1.5s, backoff: 100ms}
            fault: {delay: {fixedDelay: 5s, percentage: {value: 10}}}
            headers: {request: {set: {x-timeout: 5s}}}
            route: [{destination: {host: reviews}}]
        """), "vs.yaml");
    assertThat(r.errors()).isEmpty();
    HTTPRoute http = r.configs().get(0).spec(VirtualService.class).getHttp(0);
    assertThat(Durations.toMillis(http.getTimeout())).isEqualTo(90 * 60 * 1000L);
    assertThat(Durations.toMillis(http.getRetries().getPerTryTimeout())).isEqualTo(1500);
    assertThat(Durations.toMillis(http.getRetries().getBackoff())).isEqualTo(100);
    assertThat(Durations.toMillis(http.getFault().getDelay().getFixedDelay())).isEqualTo(5000);
    // A string field that merely looks like a duration is left alone.
    assertThat(http.getHeaders().getRequest().getSetMap()).containsEntry("x-timeout", "5s");
  }

  @Test
  void decodeYaml_durationsInNestedMessagesAndProtoForm_areAccepted() {
    DecodeResult r = strict.decodeYaml("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy:
            connectionPool: {tcp: {connectTimeout: 30ms, tcpKeepalive: {time: 2h}}}
            outlierDetection: {interval: "10.5s", baseEjectionTime: 3m}
          subsets:
          - name: v1
            trafficPolicy: {connectionPool: {http: {idleTimeout: 1m30s}}}
        """, "dr.yaml");
    assertThat(r.errors()).isEmpty();
    DestinationRule dr = r.configs().get(0).spec(DestinationRule.class);
    assertThat(Durations.toMillis(dr.getTrafficPolicy().getConnectionPool().getTcp().getConnectTimeout())).isEqualTo(30);
    assertThat(Durations.toSeconds(dr.getTrafficPolicy().getConnectionPool().getTcp().getTcpKeepalive().getTime()))
        .isEqualTo(7200);
    assertThat(Durations.toMillis(dr.getTrafficPolicy().getOutlierDetection().getInterval())).isEqualTo(10500);
    assertThat(Durations.toSeconds(dr.getSubsets(0).getTrafficPolicy().getConnectionPool().getHttp().getIdleTimeout()))
        .isEqualTo(90);
  }

  @Test
  void decodeYaml_aListWhereOneValueBelongs_isAnError_notItsFirstElement() {
    DecodeResult r = strict.decodeYaml(vs("networking.istio.io/v1",
        "  http: [{route: [{destination: {host: [reviews]}}]}]\n"), "vs.yaml");
    assertThat(r.errors()).singleElement().hasToString("vs.yaml#0 VirtualService default/reviews: "
        + "spec.http[0].route[0].destination.host: expected a single value, got a list");
  }

  @Test
  void decodeYaml_invalidDuration_namesFieldPathAndValue() {
    DecodeResult r = strict.decodeYaml(vs("networking.istio.io/v1", "  http: [{timeout: soon}]\n"), "vs.yaml");
    assertThat(r.errors()).singleElement().hasToString("vs.yaml#0 VirtualService default/reviews: "
        + "spec.http[0].timeout: invalid duration \"soon\" (use Go syntax such as \"5s\", \"100ms\" or \"1h30m\")");
  }

  @Test
  void strict_unknownSpecField_isAnError_lenient_ignoresIt() {
    String yaml = vs("networking.istio.io/v1", "  hots: [reviews]\n  futureField: {a: 1}\n");
    assertThat(strict.decodeYaml(yaml, "vs.yaml").errors()).singleElement()
        .extracting(ConfigError::message).asString()
        .contains("Cannot find field: hots in message istio.networking.v1alpha3.VirtualService");
    DecodeResult r = lenient.decodeYaml(yaml, "vs.yaml");
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs()).singleElement().extracting(Config::name).isEqualTo("reviews");
  }

  @Test
  void strict_unknownTopLevelOrMetadataField_isAnError() {
    String topLevel = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\nsepc: {}\n";
    assertThat(strict.decodeYaml(topLevel, "f.yaml").errors()).singleElement()
        .hasToString("f.yaml#0 Sidecar default/s: unknown field \"sepc\"");
    assertThat(lenient.decodeYaml(topLevel, "f.yaml").errors()).isEmpty();
    String meta = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, lables: {a: b}}\n";
    assertThat(strict.decodeYaml(meta, "f.yaml").errors()).singleElement()
        .extracting(ConfigError::message).isEqualTo("unknown field \"metadata.lables\"");
  }

  @Test
  void strict_unknownEnumValue_isAnError() {
    String yaml = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
        + "spec: {mtls: {mode: STRICTEST}}\n";
    assertThat(strict.decodeYaml(yaml, "pa.yaml").errors()).singleElement()
        .extracting(ConfigError::message).asString().contains("STRICTEST");
  }

  @Test
  void decodeYaml_metadata_isReadLikeKubectl() {
    DecodeResult r = strict.decodeYaml("""
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: default
          labels: {app: reviews}
          annotations: {note: "x"}
          resourceVersion: "42"
          generation: 3
          creationTimestamp: "2024-05-01T10:00:00Z"
        spec:
          selector: {matchLabels: {app: reviews}}
          portLevelMtls: {"8080": {mode: DISABLE}}
        """, "pa.yaml");
    assertThat(r.errors()).isEmpty();
    Config c = r.configs().get(0);
    assertThat(c.namespace()).isEqualTo("default");
    assertThat(c.meta().labels()).isEqualTo(Map.of("app", "reviews"));
    assertThat(c.meta().annotations()).isEqualTo(Map.of("note", "x"));
    assertThat(c.meta().resourceVersion()).isEqualTo("42");
    assertThat(c.meta().generation()).isEqualTo(3);
    assertThat(c.meta().creationTimestamp()).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
    assertThat(c.meta().origin()).isEqualTo("pa.yaml#0");
    assertThat(c.spec(PeerAuthentication.class).getPortLevelMtlsMap()).containsKey(8080);
  }

  @Test
  void strict_numericLabelValue_mustBeQuoted() {
    String yaml = "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: w, labels: {version: 1}}\n"
        + "spec: {address: 10.0.0.1}\n";
    assertThat(strict.decodeYaml(yaml, "we.yaml").errors()).singleElement()
        .extracting(ConfigError::message).isEqualTo("metadata.labels.version must be a string (quote it)");
    assertThat(lenient.decodeYaml(yaml, "we.yaml").configs()).singleElement()
        .satisfies(c -> assertThat(c.meta().labels()).containsEntry("version", "1"));
  }

  @Test
  void decodeYaml_badDocumentsAmongGoodOnes_reportEachAndKeepTheRest() {
    String yaml = """
        # bookinfo
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec: {servers: []}
        ---
        apiVersion: networking.istio.io/v9
        kind: Foo
        metadata: {name: foo}
        ---
        kind: [broken
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {namespace: x}
        ---
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: last}
        spec: {egress: [{hosts: ["./*"]}]}
        """;
    DecodeResult r = strict.decodeYaml(yaml, "dir/all.yaml");
    assertThat(r.configs()).extracting(Config::name).containsExactly("gw", "last");
    assertThat(r.configs().get(1).meta().origin()).isEqualTo("dir/all.yaml#5");
    assertThat(r.errors()).extracting(ConfigError::toString).containsExactly(
        "dir/all.yaml#1 Foo default/foo: unknown kind networking.istio.io/v9 Foo",
        "dir/all.yaml#2: malformed YAML: while parsing a flow sequence (line 12, column 7): "
            + "expected ',' or ']', but got <stream end> (line 13, column 1)",
        "dir/all.yaml#3 Sidecar in x: metadata.name is required");
  }

  @Test
  void decodeYaml_kubernetesList_decodesItems() {
    DecodeResult r = strict.decodeYaml("""
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: a}, spec: {hosts: [a.example.com]}}
        - {apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: b}, spec: {hosts: [b.example.com]}}
        """, "list.yaml");
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs()).extracting(Config::name).containsExactly("a", "b");
  }

  @Test
  void decodeJson_objectOrArray() {
    String one = "{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"Sidecar\",\"metadata\":{\"name\":\"s\","
        + "\"namespace\":\"ns\"},\"spec\":{\"egress\":[{\"hosts\":[\"./*\"]}]}}";
    assertThat(strict.decodeJson(one, "s.json").configs()).singleElement()
        .satisfies(c -> assertThat(c.key().toString()).isEqualTo("Sidecar/ns/s"));
    assertThat(strict.decodeJson("[" + one + "," + one.replace("\"s\"", "\"t\"") + "]", "s.json").configs())
        .extracting(Config::name).containsExactly("s", "t");
    assertThat(strict.decodeJson("{\"apiVersion\": ", "bad.json").errors()).singleElement()
        .extracting(ConfigError::toString).asString().startsWith("bad.json: malformed JSON:");
  }

  @Test
  void decodeObject_forTheWebhook_usesTheGivenNamespace() throws Exception {
    var node = new ObjectMapper().readTree("{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"Gateway\","
        + "\"metadata\":{\"name\":\"gw\"},\"spec\":{}}");
    assertThat(strict.decodeObject(node, "admission", "istio-system").namespace()).isEqualTo("istio-system");
    var unknown = new ObjectMapper().readTree("{\"apiVersion\":\"networking.istio.io/v9\",\"kind\":\"Foo\","
        + "\"metadata\":{\"name\":\"f\"}}");
    assertThatThrownBy(() -> strict.decodeObject(unknown, "admission"))
        .isInstanceOf(ConfigDecodeException.class)
        .hasMessage("Foo default/f: unknown kind networking.istio.io/v9 Foo");
  }
}

package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.telemetry.v1alpha1.Telemetry;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.push.TelemetryIndex.AccessLogProvider;
import dev.istiod.model.push.TelemetryIndex.Side;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which access-log providers a workload side gets: upstream's applicableTelemetries + mergeLogs. */
class TelemetryIndexTest {
  private static final MeshConfig MESH = MeshConfigs.defaults();
  private static final Map<String, String> REVIEWS = Map.of("app", "reviews");

  @Test
  void noTelemetryAndNoDefaultProviders_selectsNothing() {
    TelemetryIndex index = TelemetryIndex.empty(MESH);

    assertThat(index.accessLogging("default", REVIEWS, Side.CLIENT)).isEmpty();
  }

  @Test
  void meshDefaultProviders_applyWithoutTelemetry() {
    MeshConfig mesh = MESH.toBuilder().setDefaultProviders(
        MeshConfig.DefaultProviders.newBuilder().addAccessLogging("envoy")).build();

    assertThat(TelemetryIndex.empty(mesh).accessLogging("default", REVIEWS, Side.SERVER))
        .containsExactly(enabled("envoy"));
  }

  @Test
  void rootNamespaceTelemetry_appliesMeshWide_andNamespaceTelemetryReplacesItsProviders() {
    TelemetryIndex index = TelemetryIndex.build(List.of(
        telemetry("istio-system", "mesh", 1, "{accessLogging: [{providers: [{name: envoy}]}]}"),
        telemetry("default", "ns", 2, "{accessLogging: [{providers: [{name: file}]}]}")), MESH);

    assertThat(index.accessLogging("other", REVIEWS, Side.CLIENT)).containsExactly(enabled("envoy"));
    assertThat(index.accessLogging("default", REVIEWS, Side.CLIENT)).containsExactly(enabled("file"));
  }

  @Test
  void workloadTelemetry_disablesTheNamespaceProvider_forTheWorkloadItSelectsOnly() {
    TelemetryIndex index = TelemetryIndex.build(List.of(
        telemetry("default", "ns", 1, "{accessLogging: [{providers: [{name: file}]}]}"),
        telemetry("default", "quiet", 2,
            "{selector: {matchLabels: {app: reviews}}, accessLogging: [{providers: [{name: file}], disabled: true}]}")),
        MESH);

    assertThat(index.accessLogging("default", REVIEWS, Side.CLIENT))
        .containsExactly(new AccessLogProvider("file", true, ""));
    assertThat(index.accessLogging("default", Map.of("app", "ratings"), Side.CLIENT)).containsExactly(enabled("file"));
  }

  @Test
  void matchMode_limitsAnEntryToOneSide() {
    TelemetryIndex index = TelemetryIndex.build(List.of(telemetry("default", "ns", 1, """
        {accessLogging: [
          {providers: [{name: file}], match: {mode: SERVER}, filter: {expression: "response.code >= 400"}},
          {providers: [{name: envoy}], match: {mode: CLIENT}}]}""")), MESH);

    assertThat(index.accessLogging("default", REVIEWS, Side.SERVER))
        .containsExactly(new AccessLogProvider("file", false, "response.code >= 400"));
    assertThat(index.accessLogging("default", REVIEWS, Side.CLIENT)).containsExactly(enabled("envoy"));
  }

  @Test
  void ofTwoNamespaceWideTelemetries_theOldestApplies() {
    TelemetryIndex index = TelemetryIndex.build(List.of(
        telemetry("default", "newer", 2, "{accessLogging: [{providers: [{name: newer}]}]}"),
        telemetry("default", "older", 1, "{accessLogging: [{providers: [{name: older}]}]}")), MESH);

    assertThat(index.accessLogging("default", REVIEWS, Side.CLIENT)).containsExactly(enabled("older"));
  }

  @Test
  void targetRefTelemetry_doesNotApplyToSidecars() {
    TelemetryIndex index = TelemetryIndex.build(List.of(telemetry("default", "svc", 1,
        "{targetRefs: [{kind: Service, name: reviews}], accessLogging: [{providers: [{name: envoy}]}]}")), MESH);

    assertThat(index.accessLogging("default", REVIEWS, Side.CLIENT)).isEmpty();
  }

  private static AccessLogProvider enabled(String name) {
    return new AccessLogProvider(name, false, "");
  }

  private static Config telemetry(String ns, String name, int age, String specJsonish) {
    Telemetry.Builder b = Telemetry.newBuilder();
    try {
      JsonFormat.parser().merge(dev.istiod.model.ProtoYaml.readTree(specJsonish).toString(), b);
    } catch (Exception e) {
      throw new IllegalArgumentException(specJsonish, e);
    }
    return new Config(Kind.TELEMETRY,
        new ConfigMeta(name, ns, Map.of(), Map.of(), "", 0, Instant.EPOCH.plusSeconds(age), ""), b.build());
  }
}

package dev.istiod.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import org.junit.jupiter.api.Test;

class ProtoYamlTest {
  @Test
  void normalize_touchesOnlyDurationFields_andNamesEveryBadOne() {
    ObjectNode spec = (ObjectNode) ProtoYaml.readTree("""
        http:
        - timeout: 1h30m
          headers: {request: {set: {x-timeout: 5s}}}
        - timeout: soon
          retries: {perTryTimeout: later}
        """);
    assertThat(ProtoYaml.normalize(spec, VirtualService.getDescriptor(), "spec")).containsExactly(
        "spec.http[1].timeout: invalid duration \"soon\" (use Go syntax such as \"5s\", \"100ms\" or \"1h30m\")",
        "spec.http[1].retries.perTryTimeout: invalid duration \"later\" "
            + "(use Go syntax such as \"5s\", \"100ms\" or \"1h30m\")");
    assertThat(spec.at("/http/0/timeout").textValue()).isEqualTo("5400s");
    assertThat(spec.at("/http/0/headers/request/set/x-timeout").textValue()).isEqualTo("5s");
  }

  @Test
  void merge_acceptsGoAndProtobufDurations() {
    VirtualService.Builder b = VirtualService.newBuilder();
    ProtoYaml.merge(ProtoYaml.readTree("http: [{timeout: 100ms}, {timeout: \"2.5s\"}]"), b, false);
    assertThat(b.getHttp(0).getTimeout().getNanos()).isEqualTo(100_000_000);
    assertThat(b.getHttp(1).getTimeout().getSeconds()).isEqualTo(2);
    assertThat(b.getHttp(1).getTimeout().getNanos()).isEqualTo(500_000_000);
  }
}

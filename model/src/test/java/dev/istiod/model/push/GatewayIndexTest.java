package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.NodeType;
import dev.istiod.model.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayIndexTest {
  static Config gateway(String ns, String name, long created, Map<String, String> selector) {
    ConfigMeta meta = new ConfigMeta(name, ns, Map.of(), Map.of(), "", 0, Instant.ofEpochSecond(created), "");
    return new Config(Kind.GATEWAY, meta, Gateway.newBuilder().putAllSelector(selector).build());
  }

  static Proxy proxy(NodeType type, Map<String, String> labels) {
    return new Proxy(type, "ingress-1.istio-system", "x", List.of("10.0.0.1"), "", "istio-system", null, labels, null,
        null, null);
  }

  @Test
  void forProxy_selectsGatewaysOfAnyNamespaceWhoseSelectorMatches_oldestFirst() {
    GatewayIndex index = GatewayIndex.build(List.of(
        gateway("default", "newer", 2, Map.of("istio", "ingressgateway")),
        gateway("team", "older", 1, Map.of("istio", "ingressgateway")),
        gateway("istio-system", "egress", 0, Map.of("istio", "egressgateway")),
        gateway("istio-system", "everyone", 3, Map.of())));

    List<Config> selected = index.forProxy(proxy(NodeType.ROUTER, Map.of("istio", "ingressgateway", "app", "x")));

    assertThat(selected).extracting(Config::name).containsExactly("older", "newer", "everyone");
  }

  @Test
  void forProxy_sidecar_getsNoGateways() {
    GatewayIndex index = GatewayIndex.build(List.of(gateway("default", "all", 1, Map.of())));

    assertThat(index.forProxy(proxy(NodeType.SIDECAR, Map.of()))).isEmpty();
  }
}

package dev.istiod.ca.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IstiodDnsNamesTest {
  @Test
  void defaults_areTheKnownServiceNames_sorted() {
    assertThat(IstiodDnsNames.compute("istio-system", "default", "istiod.istio-system.svc:15012", ""))
        .containsExactly("istio-pilot.istio-system.svc", "istiod-remote.istio-system.svc", "istiod.istio-system.svc");
  }

  @Test
  void revisionCustomHostsAndDiscoveryAddress_areAdded_once() {
    assertThat(IstiodDnsNames.compute("istio-system", "canary", "mesh.example.com:15012",
        "istiod.example.com,mesh.example.com"))
        .containsExactly("istio-pilot.istio-system.svc", "istiod-canary.istio-system.svc",
            "istiod-remote.istio-system.svc", "istiod.example.com", "istiod.istio-system.svc", "mesh.example.com");
  }

  @Test
  void discoveryAddressWithoutPort_isAClearError() {
    assertThatThrownBy(() -> IstiodDnsNames.compute("istio-system", "", "istiod.istio-system.svc", ""))
        .hasMessageContaining("missing port");
  }
}

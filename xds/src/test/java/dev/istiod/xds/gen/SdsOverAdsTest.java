package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.server.ConfigDump;
import dev.istiod.xds.testing.AdsTestClient;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import dev.istiod.xds.testing.MemoryCredentials;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SDS through the ADS server: a gateway whose stream proved its identity gets its namespace's
 * secrets and every later change to them, pushed without a PushContext rebuild; an anonymous
 * stream gets none; debug views never show private keys.
 */
class SdsOverAdsTest {
  static final String GATEWAY_ID = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway";
  static final String NEW_CERT = SdsGeneratorTest.CA; // any other PEM: what matters is that it changed

  final MemoryCredentials credentials = new MemoryCredentials();
  final FakeDiscoveryServer fake = FakeDiscoveryServer.start(SdsGeneratorTest.withCredentials(credentials),
      List.of(new SdsGenerator()));

  SdsOverAdsTest() {
    credentials.pushTo(fake::configUpdate);
    credentials.put("istio-system", "bookinfo",
        Map.of("tls.crt", SdsGeneratorTest.CERT, "tls.key", SdsGeneratorTest.KEY, "ca.crt", SdsGeneratorTest.CA));
    // That put is itself a debounced secret push: let it go out before any stream connects, or a slow
    // machine delivers it after a test's first response, where the test expects its own change.
    fake.awaitIdle();
  }

  @AfterEach
  void close() {
    fake.close();
  }

  static Node gatewayNode() {
    return Node.newBuilder().setId("router~10.0.0.20~ingress-1.istio-system~istio-system.svc.cluster.local")
        .setMetadata(Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue("istio-system").build())
            .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue("istio-ingressgateway").build()))
        .build();
  }

  static Secret secret(DiscoveryResponse r, int i) throws Exception {
    return r.getResources(i).unpack(Secret.class);
  }

  @Test
  void authenticatedGateway_getsItsSecret_andEveryChangeToIt() throws Exception {
    fake.server().authenticator(() -> List.of(GATEWAY_ID));
    AdsTestClient.Sotw ads = fake.client().sotw(gatewayNode());

    DiscoveryResponse first = ads.requestAndAck(TypeUrls.SECRET, "kubernetes://bookinfo", "kubernetes://bookinfo-cacert");
    assertThat(first.getResourcesList()).hasSize(2);

    credentials.put("istio-system", "bookinfo",
        Map.of("tls.crt", NEW_CERT, "tls.key", SdsGeneratorTest.KEY, "ca.crt", SdsGeneratorTest.CA));
    DiscoveryResponse pushed = ads.expect(TypeUrls.SECRET);

    assertThat(pushed.getResourcesList()).hasSize(2);
    Secret cert = secret(pushed, 0).hasTlsCertificate() ? secret(pushed, 0) : secret(pushed, 1);
    assertThat(cert.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8()).isEqualTo(NEW_CERT);
    assertThat(fake.server().pushStats().fullPushes()).as("no PushContext rebuild for a secret").isZero();
  }

  @Test
  void changeToAnotherSecret_isNotPushedToThisGateway() {
    fake.server().authenticator(() -> List.of(GATEWAY_ID));
    AdsTestClient.Sotw ads = fake.client().sotw(gatewayNode());
    ads.requestAndAck(TypeUrls.SECRET, "kubernetes://bookinfo");

    credentials.put("istio-system", "unrelated", Map.of("tls.crt", NEW_CERT, "tls.key", SdsGeneratorTest.KEY));
    fake.awaitIdle();

    ads.expectNoResponse(Duration.ofMillis(200));
  }

  @Test
  void deltaStream_getsSecretUpdatesToo() throws Exception {
    fake.server().authenticator(() -> List.of(GATEWAY_ID));
    AdsTestClient.Delta ads = fake.client().delta(gatewayNode());
    DeltaDiscoveryResponse first = ads.subscribeAndAck(TypeUrls.SECRET, "kubernetes://bookinfo");
    assertThat(first.getResourcesList()).hasSize(1);

    credentials.put("istio-system", "bookinfo", Map.of("tls.crt", NEW_CERT, "tls.key", SdsGeneratorTest.KEY));
    DeltaDiscoveryResponse pushed = ads.expect(TypeUrls.SECRET);

    assertThat(pushed.getRemovedResourcesList()).isEmpty();
    assertThat(pushed.getResources(0).getResource().unpack(Secret.class).getTlsCertificate().getCertificateChain()
        .getInlineBytes().toStringUtf8()).isEqualTo(NEW_CERT);
  }

  @Test
  void anonymousStream_getsNoSecrets() {
    AdsTestClient.Sotw ads = fake.client().sotw(gatewayNode());
    ads.request(TypeUrls.SECRET, "kubernetes://bookinfo");
    fake.awaitIdle();

    ads.expectNoResponse(Duration.ofMillis(200));
  }

  @Test
  void configDump_redactsPrivateKeys() throws Exception {
    fake.server().authenticator(() -> List.of(GATEWAY_ID));
    AdsTestClient.Sotw ads = fake.client().sotw(gatewayNode());
    ads.requestAndAck(TypeUrls.SECRET, "kubernetes://bookinfo");

    // The connection's debug snapshot is published right after its request was answered.
    ConfigDump dump = org.awaitility.Awaitility.await().until(() -> fake.server().configDump("ingress-1.istio-system"),
        java.util.Optional::isPresent).orElseThrow();
    ConfigDump.TypedResources secrets = dump.types().stream().filter(t -> t.typeUrl().equals(TypeUrls.SECRET))
        .findFirst().orElseThrow();
    Secret s = secrets.resources().get(0).resource().unpack(Secret.class);

    assertThat(s.getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8()).isEqualTo("[redacted]");
    assertThat(s.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8())
        .isEqualTo(SdsGeneratorTest.CERT);
  }
}

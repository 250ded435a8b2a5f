package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.model.VerifiedIdentity;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import dev.istiod.xds.testing.MemoryCredentials;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SdsGeneratorTest {
  static final Path CERTS = Path.of("src/test/resources/golden/gateway-certs");
  static final String CERT = read("tls.crt");
  static final String KEY = read("tls.key");
  static final String CA = read("ca.crt");
  static final VerifiedIdentity GATEWAY_SA =
      new VerifiedIdentity("cluster.local", "istio-system", "istio-ingressgateway");

  final MemoryCredentials credentials = new MemoryCredentials();
  final PushContext push = PushContext.build(withCredentials(credentials), "1", null,
      PushRequest.forced(TriggerReason.GLOBAL));
  final SdsGenerator sds = new SdsGenerator(Clock.fixed(Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC));

  static String read(String file) {
    try {
      return Files.readString(CERTS.resolve(file));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Environment withCredentials(MemoryCredentials credentials) {
    Environment e = FakeDiscoveryServer.emptyEnvironment();
    return new Environment(e.configStore(), e.serviceDiscovery(), e.endpointIndex(), e.mesh(), e.domainSuffix(),
        credentials);
  }

  static Proxy gateway(VerifiedIdentity identity) {
    Proxy p = Proxy.fromNode(Node.newBuilder()
        .setId("router~10.0.0.20~ingress-1.istio-system~istio-system.svc.cluster.local").build());
    return p.withVerifiedIdentity(identity);
  }

  List<Secret> generate(Proxy proxy, PushRequest request, String... names) throws InvalidProtocolBufferException {
    GenerationResult r = sds.generate(proxy, push, new WatchedResource(TypeUrls.SECRET, false, Set.of(names)), request);
    List<Secret> out = new ArrayList<>();
    if (r != null) {
      for (XdsResource x : r.resources()) {
        Secret s = x.resource().unpack(Secret.class);
        assertThat(x.name()).as("resource named as its secret").isEqualTo(s.getName());
        out.add(s);
      }
    }
    return out;
  }

  static PushRequest request() {
    return PushRequest.forced(TriggerReason.PROXY_REQUEST);
  }

  @Test
  void tlsSecret_isServedAsCertificateAndKey_underTheRequestedName() throws Exception {
    credentials.put("istio-system", "bookinfo", Map.of("tls.crt", CERT, "tls.key", KEY));

    List<Secret> secrets = generate(gateway(GATEWAY_SA), request(), "kubernetes://bookinfo",
        "kubernetes://istio-system/bookinfo");

    assertThat(secrets).extracting(Secret::getName)
        .containsExactly("kubernetes://bookinfo", "kubernetes://istio-system/bookinfo");
    assertThat(secrets.get(0).getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8()).isEqualTo(CERT);
    assertThat(secrets.get(0).getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8()).isEqualTo(KEY);
  }

  @Test
  void genericSecret_servesCertificateAndCaFromOneSecret() throws Exception {
    credentials.put("istio-system", "partner", Map.of("cert", CERT, "key", KEY, "cacert", CA));

    List<Secret> secrets = generate(gateway(GATEWAY_SA), request(), "kubernetes://partner", "kubernetes://partner-cacert");

    assertThat(secrets).extracting(Secret::getName).containsExactly("kubernetes://partner", "kubernetes://partner-cacert");
    assertThat(secrets.get(1).getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8()).isEqualTo(CA);
  }

  @Test
  void cacertName_prefersItsOwnSecret_overTheCredentialsCaCrt() throws Exception {
    credentials.put("istio-system", "api", Map.of("tls.crt", CERT, "tls.key", KEY, "ca.crt", CERT))
        .put("istio-system", "api-cacert", Map.of("ca.crt", CA));

    List<Secret> secrets = generate(gateway(GATEWAY_SA), request(), "kubernetes://api-cacert");

    assertThat(secrets.get(0).getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8()).isEqualTo(CA);
  }

  @Test
  void anonymousProxy_getsNothing() throws Exception {
    credentials.put("istio-system", "bookinfo", Map.of("tls.crt", CERT, "tls.key", KEY));

    assertThat(generate(gateway(null), request(), "kubernetes://bookinfo")).isEmpty();
  }

  @Test
  void secretOfAnotherNamespace_isNeverServed() throws Exception {
    credentials.put("team", "team-cert", Map.of("tls.crt", CERT, "tls.key", KEY, "ca.crt", CA));

    assertThat(generate(gateway(GATEWAY_SA), request(), "kubernetes://team/team-cert", "kubernetes://team/team-cert-cacert"))
        .isEmpty();
  }

  @Test
  void proxyNotAllowedToReadSecrets_getsOnlyThePublicCaPart() throws Exception {
    credentials.put("istio-system", "own", Map.of("cert", CERT, "key", KEY, "cacert", CA))
        .allowOnly("istio-system/someone-else");

    assertThat(generate(gateway(GATEWAY_SA), request(), "kubernetes://own", "kubernetes://own-cacert"))
        .extracting(Secret::getName).containsExactly("kubernetes://own-cacert");
  }

  @Test
  void missingSecretsAndMissingKeys_areLeftOut_othersStillServed() throws Exception {
    credentials.put("istio-system", "good", Map.of("tls.crt", CERT, "tls.key", KEY))
        .put("istio-system", "password", Map.of("password", "hunter2"))
        .put("istio-system", "empty-key", Map.of("tls.crt", CERT, "tls.key", ""));

    assertThat(generate(gateway(GATEWAY_SA), request(), "kubernetes://good", "kubernetes://password",
        "kubernetes://empty-key", "kubernetes://absent", "kubernetes://absent-cacert", "default", "file-cert:x"))
        .extracting(Secret::getName).containsExactly("kubernetes://good");
  }

  @Test
  void gatewayApiAndConfigMapReferences_areNotServed() throws Exception {
    credentials.put("istio-system", "cert", Map.of("tls.crt", CERT, "tls.key", KEY, "ca.crt", CA));

    assertThat(generate(gateway(GATEWAY_SA), request(), "kubernetes-gateway://istio-system/cert",
        "configmap://istio-system/cert")).isEmpty();
  }

  @Test
  void secretChange_regeneratesOnlyTheWatchedSecretsThatDependOnIt() throws Exception {
    credentials.put("istio-system", "a", Map.of("cert", CERT, "key", KEY, "cacert", CA))
        .put("istio-system", "b", Map.of("tls.crt", CERT, "tls.key", KEY));
    PushRequest changedA = PushRequest.secrets(Set.of(new ConfigKey(Kind.SECRET, "istio-system", "a")));

    GenerationResult r = sds.generate(gateway(GATEWAY_SA), push, new WatchedResource(TypeUrls.SECRET, false,
        Set.of("kubernetes://a", "kubernetes://a-cacert", "kubernetes://b")), changedA);

    assertThat(r.incremental()).isTrue();
    assertThat(r.resources()).extracting(XdsResource::name).containsExactly("kubernetes://a", "kubernetes://a-cacert");
  }

  @Test
  void needsPush_onlyForForcedPushesAndSecretChanges() {
    Proxy p = gateway(GATEWAY_SA);
    assertThat(sds.needsPush(p, request())).isTrue();
    assertThat(sds.needsPush(p, PushRequest.secrets(Set.of(new ConfigKey(Kind.SECRET, "istio-system", "a"))))).isTrue();
    assertThat(sds.needsPush(p, PushRequest.full(TriggerReason.CONFIG,
        Set.of(new ConfigKey(Kind.GATEWAY, "istio-system", "gw"))))).isFalse();
    assertThat(sds.needsPush(p, PushRequest.endpoints(Set.of()))).isFalse();
  }

  @Test
  void credentialToString_neverShowsKeyMaterial() {
    credentials.put("istio-system", "bookinfo", Map.of("tls.crt", CERT, "tls.key", KEY));
    var credential = credentials.get("istio-system", "bookinfo").orElseThrow();

    assertThat(credential.toString()).doesNotContain("PRIVATE").contains("tls.key");
    assertThat(credential.keyCertificate().toString()).doesNotContain("PRIVATE");
  }
}

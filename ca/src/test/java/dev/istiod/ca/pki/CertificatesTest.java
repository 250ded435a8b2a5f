package dev.istiod.ca.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;

class CertificatesTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void selfSignedRoot_isACaNamedAfterTheTrustDomain() throws Exception {
    KeyPair keys = KeyType.RSA.generate(2048);
    X509Certificate root = Certificates.selfSignedRoot(keys, "cluster.local", NOW, Duration.ofDays(3650));

    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("O=cluster.local");
    assertThat(root.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(root.getNotBefore().toInstant()).isEqualTo(NOW);
    assertThat(root.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(3650)));
    assertThat(root.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId());
    root.verify(keys.getPublic());
  }

  @Test
  void leaf_hasUpstreamShape() throws Exception {
    KeyPair caKeys = KeyType.EC_P256.generate(0);
    X509Certificate root = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofDays(10));
    KeyPair leafKeys = KeyType.RSA.generate(2048);

    X509Certificate leaf = Certificates.leaf(new Certificates.LeafSpec(leafKeys.getPublic(),
        List.of("spiffe://cluster.local/ns/default/sa/sleep"), false, NOW, Duration.ofHours(24)), root,
        caKeys.getPrivate());

    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(SubjectAltNames.uris(leaf)).containsExactly("spiffe://cluster.local/ns/default/sa/sleep");
    assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.subjectAlternativeName.getId(),
        Extension.keyUsage.getId());
    boolean[] ku = leaf.getKeyUsage();
    assertThat(ku[0]).as("digitalSignature").isTrue();
    assertThat(ku[2]).as("keyEncipherment").isTrue();
    assertThat(ku[5]).as("keyCertSign").isFalse();
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(2)));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(24)));
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
    leaf.verify(caKeys.getPublic());
  }

  @Test
  void leaf_withCommonNameRequested_getsTheFirstIdentityAsCn() {
    KeyPair caKeys = KeyType.EC_P256.generate(0);
    X509Certificate root = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofDays(10));

    X509Certificate leaf = Certificates.leaf(new Certificates.LeafSpec(KeyType.EC_P256.generate(0).getPublic(),
        List.of("istiod.istio-system.svc", "istiod-remote.istio-system.svc"), true, NOW, Duration.ofHours(1)), root,
        caKeys.getPrivate());

    assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=istiod.istio-system.svc");
    assertThat(SubjectAltNames.dnsNames(leaf)).containsExactly("istiod.istio-system.svc",
        "istiod-remote.istio-system.svc");
  }

  @Test
  void leaf_ttlPastTheIssuer_isClampedToIt() {
    KeyPair caKeys = KeyType.EC_P256.generate(0);
    X509Certificate root = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofHours(5));

    X509Certificate leaf = Certificates.leaf(new Certificates.LeafSpec(KeyType.EC_P256.generate(0).getPublic(),
        List.of("spiffe://cluster.local/ns/a/sa/b"), false, NOW, Duration.ofHours(24)), root, caKeys.getPrivate());

    assertThat(leaf.getNotAfter()).isEqualTo(root.getNotAfter());
  }

  @Test
  void leaf_fromAnExpiredIssuer_fails() {
    KeyPair caKeys = KeyType.EC_P256.generate(0);
    X509Certificate root = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofHours(1));

    assertThatThrownBy(() -> Certificates.leaf(new Certificates.LeafSpec(KeyType.EC_P256.generate(0).getPublic(),
        List.of("spiffe://cluster.local/ns/a/sa/b"), false, NOW.plus(Duration.ofHours(2)), Duration.ofHours(1)), root,
        caKeys.getPrivate()))
        .hasMessageContaining("signing certificate has expired");
  }

  @Test
  void ipAndDnsIdentities_becomeTheMatchingSanTypes() {
    KeyPair caKeys = KeyType.EC_P256.generate(0);
    X509Certificate root = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofDays(1));

    X509Certificate leaf = Certificates.leaf(new Certificates.LeafSpec(KeyType.EC_P256.generate(0).getPublic(),
        List.of("10.0.0.1", "::1", "example.com"), false, NOW, Duration.ofHours(1)), root, caKeys.getPrivate());

    assertThat(SubjectAltNames.all(leaf)).containsExactly("10.0.0.1", "0:0:0:0:0:0:0:1", "example.com");
  }

  @Test
  void reissuedRoot_keepsKeyAndSubject_soOldLeavesStillVerify() throws Exception {
    KeyPair caKeys = KeyType.RSA.generate(2048);
    X509Certificate oldRoot = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofDays(10));
    X509Certificate leaf = Certificates.leaf(new Certificates.LeafSpec(KeyType.EC_P256.generate(0).getPublic(),
        List.of("spiffe://cluster.local/ns/a/sa/b"), false, NOW, Duration.ofHours(1)), oldRoot, caKeys.getPrivate());

    X509Certificate newRoot = Certificates.reissueRoot(oldRoot, caKeys, "ignored", NOW.plus(Duration.ofDays(9)),
        Duration.ofDays(10));

    assertThat(newRoot).isNotEqualTo(oldRoot);
    assertThat(newRoot.getSubjectX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());
    assertThat(newRoot.getPublicKey()).isEqualTo(oldRoot.getPublicKey());
    leaf.verify(newRoot.getPublicKey());
  }

  @Test
  void pem_roundTripsKeysOfBothTypes() {
    for (KeyType t : KeyType.values()) {
      KeyPair keys = t.generate(2048);
      assertThat(KeyCertBundle.keyMatches(Pem.parsePrivateKey(Pem.encodeKey(keys.getPrivate())), keys.getPublic()))
          .as(t.name()).isTrue();
    }
    assertThat(Pem.encodeKey(KeyType.RSA.generate(2048).getPrivate())).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(Pem.encodeKey(KeyType.EC_P256.generate(0).getPrivate())).startsWith("-----BEGIN EC PRIVATE KEY-----");
  }

  @Test
  void pem_garbage_isRejectedWithoutEchoingIt() {
    assertThatThrownBy(() -> Pem.parsePrivateKey("-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .message().doesNotContain("c2VjcmV0");
  }

  @Test
  void renewalTime_followsTheGracePercentile() {
    KeyPair caKeys = KeyType.EC_P256.generate(0);
    X509Certificate root = Certificates.selfSignedRoot(caKeys, "td", NOW, Duration.ofDays(100));

    assertThat(RenewalTime.untilDue(root, NOW, 20)).isEqualTo(Duration.ofDays(80));
    assertThat(RenewalTime.untilDue(root, NOW.plus(Duration.ofDays(81)), 20)).isNegative();
  }
}

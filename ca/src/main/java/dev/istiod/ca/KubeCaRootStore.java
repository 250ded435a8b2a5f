package dev.istiod.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The self-signed root in upstream's Secret: {@code istio-ca-secret} of type
 * {@code istio.io/ca-root} in istiod's namespace, keys {@code ca-cert.pem}, {@code ca-key.pem},
 * {@code root-cert.pem}, {@code cert-chain.pem} (empty) and {@code key.pem} (empty). Creation is
 * a plain create (409 means another replica won); updates carry the resourceVersion read, so a
 * concurrent rotation makes one of them fail and re-read rather than both succeed.
 */
public final class KubeCaRootStore implements CaRootStore {
  public static final String SECRET_NAME = "istio-ca-secret";
  public static final String SECRET_TYPE = "istio.io/ca-root";
  static final String CA_CERT = "ca-cert.pem";
  static final String CA_KEY = "ca-key.pem";
  static final String ROOT_CERT = "root-cert.pem";
  static final String CERT_CHAIN = "cert-chain.pem";
  static final String KEY = "key.pem";

  private final KubernetesClient client;
  private final String namespace;

  public KubeCaRootStore(KubernetesClient client, String namespace) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
  }

  @Override
  public Optional<Stored> load() throws IOException {
    Secret s;
    try {
      s = client.secrets().inNamespace(namespace).withName(SECRET_NAME).get();
    } catch (KubernetesClientException e) {
      throw new IOException("cannot read " + describe() + ": " + e.getMessage(), e);
    }
    if (s == null) {
      return Optional.empty();
    }
    Map<String, String> data = s.getData() == null ? Map.of() : s.getData();
    String cert = decode(data.get(CA_CERT));
    String key = decode(data.get(CA_KEY));
    if (cert.isBlank() || key.isBlank()) {
      throw new IOException(describe() + " has no " + (cert.isBlank() ? CA_CERT : CA_KEY));
    }
    return Optional.of(new Stored(cert, key, decode(data.get(ROOT_CERT)), s.getMetadata().getResourceVersion()));
  }

  @Override
  public boolean createIfAbsent(Stored root) throws IOException {
    try {
      client.secrets().inNamespace(namespace).resource(secret(root, null)).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw new IOException("cannot create " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean update(Stored expected, Stored next) throws IOException {
    try {
      client.secrets().inNamespace(namespace).resource(secret(next, expected.version())).update();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw new IOException("cannot update " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "Secret " + namespace + "/" + SECRET_NAME;
  }

  private Secret secret(Stored root, String resourceVersion) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA_CERT, encode(root.caCertPem()));
    data.put(CA_KEY, encode(root.caKeyPem()));
    data.put(ROOT_CERT, encode(root.rootCertPem()));
    data.put(CERT_CHAIN, "");
    data.put(KEY, "");
    return new SecretBuilder()
        .withNewMetadata().withName(SECRET_NAME).withNamespace(namespace).withResourceVersion(resourceVersion)
        .endMetadata()
        .withType(SECRET_TYPE)
        .withData(data)
        .build();
  }

  private static String encode(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String b64) {
    if (b64 == null || b64.isEmpty()) {
      return "";
    }
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }
}

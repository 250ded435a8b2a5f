package dev.istiod.ca;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the self-signed root and its key persist, so that restarts and replicas share one root:
 * the {@code istio-ca-secret} Secret in a cluster ({@link KubeCaRootStore}), a directory without
 * one ({@link DirectoryCaRootStore}). Writes are conditional, so two istiods starting or rotating
 * together converge on one root instead of overwriting each other.
 */
public interface CaRootStore {

  /**
   * The stored root material.
   *
   * @param caCertPem ca-cert.pem: the current self-signed root (also the signing certificate)
   * @param caKeyPem ca-key.pem: its private key
   * @param rootCertPem root-cert.pem: the trust bundle; upstream writes the root here once, this
   *     CA also keeps previous roots here while they are still trusted after a rotation
   * @param version an opaque version for conditional updates (a resourceVersion, a digest)
   */
  record Stored(String caCertPem, String caKeyPem, String rootCertPem, String version) {
    public Stored {
      Objects.requireNonNull(caCertPem, "caCertPem");
      Objects.requireNonNull(caKeyPem, "caKeyPem");
      rootCertPem = rootCertPem == null ? "" : rootCertPem;
      version = version == null ? "" : version;
    }

    @Override
    public String toString() {
      return "Stored[version=" + version + "]";
    }
  }

  /** The current contents, or empty when nothing was stored yet. */
  Optional<Stored> load() throws IOException;

  /** Stores {@code root} unless something is already stored; false when it was. */
  boolean createIfAbsent(Stored root) throws IOException;

  /** Replaces {@code expected} with {@code next}; false when the store moved on since {@code expected}. */
  boolean update(Stored expected, Stored next) throws IOException;

  /** For log messages: "Secret istio-system/istio-ca-secret". */
  String describe();
}

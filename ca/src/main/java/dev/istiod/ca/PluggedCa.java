package dev.istiod.ca;

import dev.istiod.ca.pki.KeyCertBundle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An operator-provided CA in {@code ROOT_CA_DIR} (default {@code ./etc/cacerts}, where the
 * {@code cacerts} Secret is mounted), in either of upstream's layouts:
 * <ul>
 *   <li>Istio's: {@code ca-cert.pem} (signing cert, must be a CA), {@code ca-key.pem},
 *       {@code root-cert.pem}, {@code cert-chain.pem} — all four required;
 *   <li>kubernetes.io/tls: {@code tls.crt}, {@code tls.key}, {@code ca.crt} (root, and with
 *       tls.crt the chain), chosen when {@code tls.crt} exists.
 * </ul>
 * No file at all means "use the self-signed root"; some but not all is a start-up error naming
 * the missing files, as upstream refuses an incomplete bundle.
 *
 * @param dir the directory
 * @param signingCert the signing certificate file
 * @param signingKey its key
 * @param certChain the chain files, concatenated in order
 * @param rootCert the root bundle file
 */
public record PluggedCa(Path dir, Path signingCert, Path signingKey, List<Path> certChain, Path rootCert) {
  public static final String CA_CERT = "ca-cert.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String ROOT_CERT = "root-cert.pem";
  public static final String CERT_CHAIN = "cert-chain.pem";
  public static final String TLS_CERT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String TLS_ROOT = "ca.crt";

  public PluggedCa {
    Objects.requireNonNull(dir, "dir");
    certChain = List.copyOf(certChain);
  }

  /** The layout the directory uses, whether or not its files exist. */
  static PluggedCa layout(Path dir) {
    if (Files.exists(dir.resolve(TLS_CERT))) {
      return new PluggedCa(dir, dir.resolve(TLS_CERT), dir.resolve(TLS_KEY),
          List.of(dir.resolve(TLS_CERT), dir.resolve(TLS_ROOT)), dir.resolve(TLS_ROOT));
    }
    return new PluggedCa(dir, dir.resolve(CA_CERT), dir.resolve(CA_KEY), List.of(dir.resolve(CERT_CHAIN)),
        dir.resolve(ROOT_CERT));
  }

  /**
   * The complete plugged CA in {@code dir}; empty when the directory holds none of its files.
   *
   * @throws IllegalStateException when some files are present and others missing
   */
  public static Optional<PluggedCa> detect(Path dir) {
    PluggedCa ca = layout(dir);
    List<Path> required = new ArrayList<>(List.of(ca.signingKey, ca.signingCert, ca.rootCert));
    for (Path p : ca.certChain) {
      if (!required.contains(p)) {
        required.add(p);
      }
    }
    List<String> missing = new ArrayList<>();
    for (Path p : required) {
      if (!Files.isRegularFile(p)) {
        missing.add(p.getFileName().toString());
      }
    }
    if (missing.isEmpty()) {
      return Optional.of(ca);
    }
    if (missing.size() == required.size()) {
      return Optional.empty();
    }
    throw new IllegalStateException("failed to create an istiod CA: incomplete signing CA bundle detected in " + dir
        + ": missing " + String.join(", ", missing));
  }

  /** Reads and verifies the bundle; the signing certificate must be allowed to sign certificates. */
  public KeyCertBundle load(Instant now) throws IOException {
    StringBuilder chain = new StringBuilder();
    for (Path p : certChain) {
      String s = read(p);
      chain.append(s.endsWith("\n") || s.isEmpty() ? s : s + "\n");
    }
    KeyCertBundle b;
    try {
      b = KeyCertBundle.fromPem(read(signingCert), read(signingKey), chain.toString(), read(rootCert), now);
    } catch (IllegalArgumentException e) {
      throw new IOException("failed to create CA KeyCertBundle from " + dir + ": " + e.getMessage(), e);
    }
    if (b.signingCert().getBasicConstraints() < 0) {
      throw new IOException(signingCert + ": certificate is not authorized to sign other certificates");
    }
    return b;
  }

  /** A digest of every file, to notice changes. */
  String fingerprint() {
    StringBuilder sb = new StringBuilder();
    for (Path p : List.of(signingCert, signingKey, rootCert)) {
      sb.append(stamp(p)).append('|');
    }
    for (Path p : certChain) {
      sb.append(stamp(p)).append('|');
    }
    return sb.toString();
  }

  private static String stamp(Path p) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
      return HexFormat.of().formatHex(digest);
    } catch (IOException e) {
      return "missing";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.US_ASCII);
  }
}

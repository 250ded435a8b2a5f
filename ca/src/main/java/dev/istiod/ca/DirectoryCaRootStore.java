package dev.istiod.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * The self-signed root in a local directory, for istiod without a cluster: the same file names as
 * the Secret's keys. The key file is created last and exclusively, so it marks a complete root;
 * the version is a digest of the contents. Meant for one istiod per directory.
 */
public final class DirectoryCaRootStore implements CaRootStore {
  private final Path dir;

  public DirectoryCaRootStore(Path dir) {
    this.dir = Objects.requireNonNull(dir, "dir");
  }

  @Override
  public Optional<Stored> load() throws IOException {
    Path key = dir.resolve(KubeCaRootStore.CA_KEY);
    if (!Files.exists(key)) {
      return Optional.empty();
    }
    String cert = read(KubeCaRootStore.CA_CERT);
    String keyPem = read(KubeCaRootStore.CA_KEY);
    String roots = Files.exists(dir.resolve(KubeCaRootStore.ROOT_CERT)) ? read(KubeCaRootStore.ROOT_CERT) : "";
    return Optional.of(new Stored(cert, keyPem, roots, digest(cert + keyPem + roots)));
  }

  @Override
  public synchronized boolean createIfAbsent(Stored root) throws IOException {
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(KubeCaRootStore.CA_KEY))) {
      return false;
    }
    write(KubeCaRootStore.CA_CERT, root.caCertPem());
    write(KubeCaRootStore.ROOT_CERT, root.rootCertPem());
    try {
      Path tmp = temp(KubeCaRootStore.CA_KEY, root.caKeyPem());
      Files.createLink(dir.resolve(KubeCaRootStore.CA_KEY), tmp);
      Files.delete(tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  @Override
  public synchronized boolean update(Stored expected, Stored next) throws IOException {
    Optional<Stored> current = load();
    if (current.isEmpty() || !current.get().version().equals(expected.version())) {
      return false;
    }
    write(KubeCaRootStore.ROOT_CERT, next.rootCertPem());
    write(KubeCaRootStore.CA_KEY, next.caKeyPem());
    write(KubeCaRootStore.CA_CERT, next.caCertPem());
    return true;
  }

  @Override
  public String describe() {
    return "directory " + dir;
  }

  private String read(String name) throws IOException {
    return Files.readString(dir.resolve(name), StandardCharsets.US_ASCII);
  }

  private void write(String name, String content) throws IOException {
    Path tmp = temp(name, content);
    try {
      Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** A private (0600 where supported) temporary file beside the target. */
  private Path temp(String name, String content) throws IOException {
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + name, ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      tmp = Files.createTempFile(dir, "." + name, ".tmp");
    }
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    return tmp;
  }

  private static String digest(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.istiod.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The self-signed root in a local directory, for istiod without a cluster. Each version is a
 * complete directory ({@code root-<id>/} with the Secret's file names) and the symlink
 * {@code current} points at the live one, as Kubernetes lays out mounted Secrets: creating the link
 * is atomic and fails when it exists (create-if-absent), renaming a new link over it is atomic
 * (update), so a reader never sees a certificate without its key, even with several istiods on one
 * directory. The version is the target's name.
 */
public final class DirectoryCaRootStore implements CaRootStore {
  private static final String CURRENT = "current";

  private final Path dir;

  public DirectoryCaRootStore(Path dir) {
    this.dir = Objects.requireNonNull(dir, "dir");
  }

  @Override
  public Optional<Stored> load() throws IOException {
    Path link = dir.resolve(CURRENT);
    if (!Files.isSymbolicLink(link)) {
      return Optional.empty();
    }
    String version = Files.readSymbolicLink(link).toString();
    Path root = dir.resolve(version);
    try {
      return Optional.of(new Stored(read(root, KubeCaRootStore.CA_CERT), read(root, KubeCaRootStore.CA_KEY),
          read(root, KubeCaRootStore.ROOT_CERT), version));
    } catch (NoSuchFileException e) {
      throw new IOException(describe() + " points at an incomplete root " + root, e);
    }
  }

  @Override
  public boolean createIfAbsent(Stored root) throws IOException {
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(CURRENT), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    String version = writeVersion(root);
    try {
      Files.createSymbolicLink(dir.resolve(CURRENT), Path.of(version));
      return true;
    } catch (FileAlreadyExistsException e) {
      deleteVersion(version);
      return false;
    }
  }

  @Override
  public synchronized boolean update(Stored expected, Stored next) throws IOException {
    Optional<Stored> current = load();
    if (current.isEmpty() || !current.get().version().equals(expected.version())) {
      return false;
    }
    String version = writeVersion(next);
    Path tmpLink = dir.resolve("." + CURRENT + "-" + version);
    Files.createSymbolicLink(tmpLink, Path.of(version));
    Files.move(tmpLink, dir.resolve(CURRENT), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    deleteVersion(expected.version());
    return true;
  }

  @Override
  public String describe() {
    return "directory " + dir;
  }

  /** Writes a complete version directory (key 0600) and returns its name. */
  private String writeVersion(Stored root) throws IOException {
    String version = "root-" + UUID.randomUUID();
    Path v = dir.resolve(version);
    Files.createDirectories(v);
    write(v, KubeCaRootStore.CA_CERT, root.caCertPem());
    write(v, KubeCaRootStore.ROOT_CERT, root.rootCertPem());
    write(v, KubeCaRootStore.CA_KEY, root.caKeyPem());
    return version;
  }

  private void deleteVersion(String version) {
    Path v = dir.resolve(version);
    try {
      for (String f : new String[] {KubeCaRootStore.CA_CERT, KubeCaRootStore.ROOT_CERT, KubeCaRootStore.CA_KEY}) {
        Files.deleteIfExists(v.resolve(f));
      }
      Files.deleteIfExists(v);
    } catch (IOException e) {
      // A leftover old version is harmless.
    }
  }

  private static String read(Path root, String name) throws IOException {
    return Files.readString(root.resolve(name), StandardCharsets.US_ASCII);
  }

  private static void write(Path root, String name, String content) throws IOException {
    Path file = root.resolve(name);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, content, StandardCharsets.US_ASCII);
  }
}

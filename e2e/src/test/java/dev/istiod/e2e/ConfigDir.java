package dev.istiod.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The directory istiod watches (--configDir), and the ways a user changes files in it. */
final class ConfigDir {
  private final Path dir;
  private final Path staging;

  ConfigDir(Path workDir) {
    this.dir = workDir.resolve("config");
    this.staging = workDir.resolve("config-staging");
    try {
      Files.createDirectories(dir);
      Files.createDirectories(staging);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path path() {
    return dir;
  }

  /** Writes the file in place (truncate, then write), as `cat > file` or most IDEs do. */
  Path write(String fileName, String content) {
    Path file = dir.resolve(fileName);
    try {
      Files.writeString(file, content, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /**
   * Replaces the file in one step (write elsewhere, then rename over it), as vim and ConfigMap volumes do:
   * the watcher never sees a half-written file.
   */
  Path replace(String fileName, String content) {
    Path file = dir.resolve(fileName);
    try {
      Path temp = Files.writeString(staging.resolve(fileName), content, StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  void delete(String fileName) {
    try {
      Files.deleteIfExists(dir.resolve(fileName));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

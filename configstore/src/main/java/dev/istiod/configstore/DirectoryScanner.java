package dev.istiod.configstore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Walks a config directory: every {@code *.yaml}, {@code *.yml} and {@code *.json} file below it,
 * following symlinks, skipping hidden entries. Hidden entries are skipped because Kubernetes
 * ConfigMap volumes keep their real files in {@code ..data}/{@code ..<timestamp>} directories
 * behind top-level symlinks (reading both would duplicate every object), and editors keep swap
 * files there.
 */
final class DirectoryScanner {
  /** One file's text, or why it could not be read. */
  sealed interface FileRead {
    record Text(String content) implements FileRead {}

    record Failed(String message) implements FileRead {}
  }

  /**
   * @param files every config file, in sorted path order
   * @param directories every directory walked (to watch)
   * @param complete false if the walk itself failed, in which case {@code files} is partial
   */
  record Scan(Map<Path, FileRead> files, List<Path> directories, boolean complete, String failure) {}

  private DirectoryScanner() {}

  static boolean isConfigFile(Path p) {
    String name = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"));
  }

  static boolean isHidden(Path p) {
    return p.getFileName() != null && p.getFileName().toString().startsWith(".");
  }

  static Scan scan(Path root) {
    Map<Path, FileRead> files = new TreeMap<>();
    List<Path> dirs = new ArrayList<>();
    try {
      Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              if (!dir.equals(root) && isHidden(dir)) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              dirs.add(dir);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (attrs.isRegularFile() && isConfigFile(file)) {
                FileRead r = read(file);
                if (r != null) {
                  files.put(file, r);
                }
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              // A file that vanished mid-walk is simply gone; a loop or a permission
              // problem is reported on the file and the walk goes on.
              if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS) && isConfigFile(file)) {
                files.put(file, new FileRead.Failed("cannot read file: " + e));
              }
              return FileVisitResult.CONTINUE;
            }
          });
      return new Scan(files, dirs, true, "");
    } catch (IOException | RuntimeException e) {
      return new Scan(files, dirs, false, "cannot read config directory " + root + ": " + e);
    }
  }

  /** The file's text; null if it was deleted since it was listed. */
  private static FileRead read(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return new FileRead.Text(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString());
    } catch (CharacterCodingException e) {
      return new FileRead.Failed("file is not UTF-8 text");
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return new FileRead.Failed("cannot read file: " + e);
    }
  }
}

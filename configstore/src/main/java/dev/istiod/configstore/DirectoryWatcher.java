package dev.istiod.configstore;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a directory tree and calls back on any change in it. It does not say what changed:
 * the store rescans, which is simpler and robust to missed or overflowing events. New
 * subdirectories are watched as soon as they appear (and again by each rescan, which covers
 * directories created and filled before their own event arrived).
 */
final class DirectoryWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectoryWatcher.class);

  private final WatchService service;
  private final Runnable onChange;
  private final Map<Path, WatchKey> watched = new ConcurrentHashMap<>();
  private final Thread thread;

  private DirectoryWatcher(WatchService service, Runnable onChange, Path root) {
    this.service = service;
    this.onChange = onChange;
    this.thread = new Thread(this::loop, "configstore-dir-watch " + root);
    this.thread.setDaemon(true);
  }

  static DirectoryWatcher start(Path root, Runnable onChange) throws IOException {
    DirectoryWatcher w = new DirectoryWatcher(root.getFileSystem().newWatchService(), onChange, root);
    w.watchAll(List.of(root));
    w.thread.start();
    return w;
  }

  /** Watches these directories too (already watched ones are skipped). */
  void watchAll(Collection<Path> dirs) {
    for (Path dir : dirs) {
      if (watched.containsKey(dir)) {
        continue;
      }
      try {
        watched.put(dir, dir.register(service, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY));
      } catch (ClosedWatchServiceException e) {
        return;
      } catch (IOException e) {
        log.warn("cannot watch {}: {}", dir, e.toString());
      }
    }
  }

  private void loop() {
    while (true) {
      try {
        WatchKey key = service.take();
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.kind() == ENTRY_CREATE && event.context() instanceof Path name) {
            Path child = dir.resolve(name);
            if (!DirectoryScanner.isHidden(child) && Files.isDirectory(child)) {
              watchAll(List.of(child));
            }
          }
        }
        if (!key.reset()) {
          watched.remove(dir); // the directory is gone
        }
        onChange.run();
      } catch (ClosedWatchServiceException | InterruptedException e) {
        return;
      } catch (RuntimeException | Error e) {
        // Never let the watcher die: a later event must still be seen.
        log.error("config directory watcher failed on an event; continuing", e);
      }
    }
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      log.debug("closing watch service", e);
    }
    thread.interrupt();
  }
}

package dev.istiod.configstore;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio config read from a directory of YAML/JSON files and kept in sync with it: adding,
 * editing and deleting files applies without a restart (istiod's {@code --configDir}).
 *
 * <p>Design. One <em>rescan</em> re-reads the whole tree, re-decodes only files whose text
 * changed, merges all files into one snapshot and emits an event for each object whose content
 * really changed. Rescans are serialized by a lock and run on whichever thread triggers them:
 * the scheduler's (after file events) or a caller of {@link #rescan()}; handlers run inside the
 * rescan, in order, so they never race each other. Readers see an immutable snapshot swapped in
 * after each rescan, without locks.
 *
 * <p>A watcher thread waits on a {@link java.nio.file.WatchService} for the root and every
 * subdirectory (new ones are added as they appear) and, on any event, asks the
 * {@link TaskScheduler} to rescan after the coalescing delay; events arriving before that
 * rescan starts share it, so an editor's burst of writes costs one rescan. The watcher never
 * lets an exception escape; a rescan that fails is logged and the previous state stays.
 *
 * <p>Errors. Bad input never takes objects away: see {@link FileLoader} for what is kept. Every
 * current problem is listed by {@link #errors()} (and logged at WARN when it first appears).
 * When two files define the same object, the first file in sorted path order wins.
 *
 * <p>Metadata. {@code resourceVersion} is this store's change counter (a file's own value is
 * ignored); {@code creationTimestamp}, if the file has none, is when the object was first seen.
 * The origin of each object is {@code <file>#<document index>}.
 */
public final class DirectoryConfigStore implements ConfigStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectoryConfigStore.class);
  /** Upstream istiod's file watcher also waits about this long for editors to finish writing. */
  public static final Duration DEFAULT_COALESCE = Duration.ofMillis(100);

  private final Path root;
  private final KindRegistry registry;
  private final FileLoader loader;
  private final Duration coalesce;
  private final TaskScheduler scheduler;
  private final ScheduledExecutorService ownedScheduler;
  private final Clock clock;
  private final boolean watch;
  private final List<ConfigEventHandler> handlers = new CopyOnWriteArrayList<>();
  private final AtomicBoolean rescanPending = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object scanLock = new Object();

  /** Guarded by scanLock. */
  private Map<Path, FileState> files = Map.of();
  /** Guarded by scanLock. */
  private long resourceVersion;
  /** Guarded by scanLock. */
  private Set<String> loggedErrors = Set.of();

  private volatile NavigableMap<ConfigKey, Config> snapshot = Collections.emptyNavigableMap();
  private volatile List<ConfigError> errors = List.of();
  private volatile boolean synced;
  private volatile DirectoryWatcher watcher;

  private DirectoryConfigStore(Builder b) {
    this.root = b.root;
    this.registry = b.registry;
    this.loader = new FileLoader(new ConfigDecoder(b.registry, DecodeMode.STRICT), b.registry);
    this.coalesce = b.coalesce;
    this.clock = b.clock;
    this.watch = b.watch;
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownedScheduler = null;
    } else {
      this.ownedScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "configstore-dir-rescan");
        t.setDaemon(true);
        return t;
      });
      this.scheduler = TaskScheduler.of(ownedScheduler);
    }
  }

  /** A store over {@code root}; nothing is read until {@link #start()}. */
  public static Builder builder(Path root, KindRegistry registry) {
    return new Builder(root, registry);
  }

  /** Options of a {@link DirectoryConfigStore}. */
  public static final class Builder {
    private final Path root;
    private final KindRegistry registry;
    private Duration coalesce = DEFAULT_COALESCE;
    private TaskScheduler scheduler;
    private Clock clock = Clock.systemUTC();
    private boolean watch = true;

    private Builder(Path root, KindRegistry registry) {
      this.root = Objects.requireNonNull(root, "root");
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** How long to wait after a file event before rescanning (default 100ms). */
    public Builder coalesce(Duration delay) {
      this.coalesce = Objects.requireNonNull(delay, "delay");
      return this;
    }

    /** Runs delayed rescans; by default the store owns a single daemon thread. */
    public Builder scheduler(TaskScheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Source of first-seen creation timestamps. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Whether to watch for changes (default true); without, only {@link #rescan()} updates. */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    public DirectoryConfigStore build() {
      return new DirectoryConfigStore(this);
    }
  }

  /**
   * Loads the directory (handlers registered so far receive an ADD per object) and starts
   * watching it. After this returns, {@link #hasSynced()} is true.
   *
   * @throws IOException if the root is not a readable directory or cannot be watched
   */
  public void start() throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException("config directory " + root + " does not exist or is not a directory");
    }
    if (watch) {
      // Watch before the first scan, so a change made during it is not missed.
      watcher = DirectoryWatcher.start(root, this::requestRescan);
    }
    rescan();
    synced = true;
    log.info("loaded {} config objects from {} ({} errors)", snapshot.size(), root, errors.size());
  }

  public Path root() {
    return root;
  }

  @Override
  public List<Config> list(Kind kind) {
    return KindRange.list(snapshot, kind);
  }

  @Override
  public List<Config> list(Kind kind, String namespace) {
    return KindRange.list(snapshot, kind, namespace);
  }

  @Override
  public Optional<Config> get(ConfigKey key) {
    return Optional.ofNullable(snapshot.get(key));
  }

  /** Handlers are called on the thread running a rescan, one event at a time, in order. */
  @Override
  public void addHandler(ConfigEventHandler handler) {
    handlers.add(Objects.requireNonNull(handler, "handler"));
  }

  @Override
  public boolean hasSynced() {
    return synced;
  }

  /** Every problem in the directory now: unreadable files, malformed documents, invalid objects, duplicates. */
  public List<ConfigError> errors() {
    return errors;
  }

  private void requestRescan() {
    if (closed.get() || !rescanPending.compareAndSet(false, true)) {
      return;
    }
    scheduler.schedule(() -> {
      rescanPending.set(false);
      if (closed.get()) {
        return;
      }
      try {
        rescan();
      } catch (RuntimeException | Error e) {
        log.error("rescan of config directory {} failed; keeping the previous state", root, e);
      }
    }, coalesce);
  }

  /** Re-reads the directory now and applies what changed. Safe to call from any thread. */
  public void rescan() {
    synchronized (scanLock) {
      DirectoryScanner.Scan scan = DirectoryScanner.scan(root);
      if (!scan.complete()) {
        log.warn("{}; keeping the previous state", scan.failure());
        publishErrors(List.of(new ConfigError(root.toString(), -1, ObjectRef.UNKNOWN, scan.failure())), files);
        return;
      }
      if (watcher != null) {
        watcher.watchAll(scan.directories());
      }
      Map<Path, FileState> next = new TreeMap<>();
      scan.files().forEach((path, read) -> {
        FileState prev = files.getOrDefault(path, FileState.EMPTY);
        next.put(path, switch (read) {
          case DirectoryScanner.FileRead.Text t when t.content().equals(prev.content()) -> prev;
          case DirectoryScanner.FileRead.Text t -> loader.load(path, t.content(), prev);
          case DirectoryScanner.FileRead.Failed f -> loader.unreadable(path, f.message(), prev);
        });
      });
      List<ConfigError> duplicates = new ArrayList<>();
      Map<ConfigKey, Config> merged = merge(next, duplicates);
      List<ConfigEvent> events = new ArrayList<>();
      Map<ConfigKey, Config> stored = applyChanges(merged, events);
      files = next;
      snapshot = Collections.unmodifiableNavigableMap(new TreeMap<>(stored));
      publishErrors(duplicates, next);
      events.forEach(this::dispatch);
    }
  }

  /** All files' objects; for a key defined twice, the first file in path order wins. */
  private static Map<ConfigKey, Config> merge(Map<Path, FileState> files, List<ConfigError> duplicates) {
    Map<ConfigKey, Config> merged = new TreeMap<>();
    Map<ConfigKey, Path> owner = new TreeMap<>();
    files.forEach((path, state) -> state.objects().forEach((key, config) -> {
      Path first = owner.putIfAbsent(key, path);
      if (first == null) {
        merged.put(key, config);
      } else {
        duplicates.add(new ConfigError(path.toString(), FileLoader.documentIndex(config),
            new ObjectRef("", key.kind().kindName(), key.namespace(), key.name()),
            "duplicate of the object defined in " + first + "; ignored"));
      }
    }));
    return merged;
  }

  /** Diffs {@code merged} against the current snapshot; assigns versions; collects events. */
  private Map<ConfigKey, Config> applyChanges(Map<ConfigKey, Config> merged, List<ConfigEvent> events) {
    Map<ConfigKey, Config> current = snapshot;
    Map<ConfigKey, Config> stored = new TreeMap<>();
    Instant now = clock.instant();
    merged.forEach((key, config) -> {
      Config old = current.get(key);
      if (old == null) {
        Config c = withMeta(config, ++resourceVersion, createdAt(config, now));
        stored.put(key, c);
        events.add(ConfigEvent.added(c));
      } else if (sameContent(old, config)) {
        // Unchanged; only the file it comes from may have moved.
        stored.put(key, withMeta(config, Long.parseLong(old.meta().resourceVersion()), old.meta().creationTimestamp()));
      } else {
        Instant created = config.meta().creationTimestamp().equals(Instant.EPOCH)
            ? old.meta().creationTimestamp() : config.meta().creationTimestamp();
        Config c = withMeta(config, ++resourceVersion, created);
        stored.put(key, c);
        events.add(ConfigEvent.updated(old, c));
      }
    });
    current.forEach((key, old) -> {
      if (!merged.containsKey(key)) {
        events.add(ConfigEvent.deleted(old));
      }
    });
    return stored;
  }

  private static Instant createdAt(Config config, Instant now) {
    Instant t = config.meta().creationTimestamp();
    return t.equals(Instant.EPOCH) ? now : t;
  }

  private static Config withMeta(Config c, long version, Instant created) {
    ConfigMeta m = c.meta();
    return new Config(c.kind(), new ConfigMeta(m.name(), m.namespace(), m.labels(), m.annotations(),
        Long.toString(version), m.generation(), created, m.origin()), c.spec());
  }

  /** What a proxy could notice: labels, annotations and spec (not versions or origin). */
  private static boolean sameContent(Config stored, Config fresh) {
    return stored.meta().labels().equals(fresh.meta().labels())
        && stored.meta().annotations().equals(fresh.meta().annotations())
        && stored.spec().equals(fresh.spec());
  }

  private void publishErrors(List<ConfigError> extra, Map<Path, FileState> states) {
    List<ConfigError> all = new ArrayList<>();
    states.values().forEach(s -> all.addAll(s.errors()));
    all.addAll(extra);
    Set<String> now = new HashSet<>();
    for (ConfigError e : all) {
      String text = e.toString();
      now.add(text);
      if (!loggedErrors.contains(text)) {
        log.warn("config error: {}", text);
      }
    }
    loggedErrors = now;
    errors = List.copyOf(all);
  }

  private void dispatch(ConfigEvent event) {
    for (ConfigEventHandler h : handlers) {
      try {
        h.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("config event handler failed on {} {}", event.type(), event.key(), e);
      }
    }
  }

  /** Stops watching; the last loaded state stays readable. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    DirectoryWatcher w = watcher;
    if (w != null) {
      w.close();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }
}

package dev.istiod.ca.testing;

import dev.istiod.ca.CaRootStore;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A root store in memory with versioned, conditional writes and switchable failures. */
public final class InMemoryCaRootStore implements CaRootStore {
  private Stored stored;
  private final AtomicInteger version = new AtomicInteger();
  private volatile boolean failing;

  public synchronized Optional<Stored> current() {
    return Optional.ofNullable(stored);
  }

  public void failing(boolean f) {
    failing = f;
  }

  /** Another writer replaces the contents (a second replica). */
  public synchronized void overwrite(Stored s) {
    stored = new Stored(s.caCertPem(), s.caKeyPem(), s.rootCertPem(), Integer.toString(version.incrementAndGet()));
  }

  @Override
  public synchronized Optional<Stored> load() throws IOException {
    check();
    return Optional.ofNullable(stored);
  }

  @Override
  public synchronized boolean createIfAbsent(Stored root) throws IOException {
    check();
    if (stored != null) {
      return false;
    }
    overwrite(root);
    return true;
  }

  @Override
  public synchronized boolean update(Stored expected, Stored next) throws IOException {
    check();
    if (stored == null || !stored.version().equals(expected.version())) {
      return false;
    }
    overwrite(next);
    return true;
  }

  private void check() throws IOException {
    if (failing) {
      throw new IOException("store unavailable");
    }
  }

  @Override
  public String describe() {
    return "memory";
  }
}

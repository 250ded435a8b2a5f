package dev.istiod.configstore;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Several config sources read as one, e.g. the cluster's CRDs beside a {@code --configDir} of
 * file-only configs. When two sources hold the same key, the first source wins (and the other's
 * copy is hidden), so the order of sources is the order of precedence.
 */
public final class AggregateConfigStore implements ConfigStore {
  private static final Comparator<Config> ORDER =
      Comparator.comparing(Config::namespace).thenComparing(Config::name);

  private final List<ConfigStore> stores;

  public AggregateConfigStore(List<? extends ConfigStore> stores) {
    if (stores.isEmpty()) {
      throw new IllegalArgumentException("an aggregate needs at least one store");
    }
    this.stores = List.copyOf(stores);
  }

  @Override
  public List<Config> list(Kind kind) {
    if (stores.size() == 1) {
      return stores.get(0).list(kind);
    }
    Set<ConfigKey> seen = new HashSet<>();
    List<Config> out = new ArrayList<>();
    for (ConfigStore s : stores) {
      for (Config c : s.list(kind)) {
        if (seen.add(c.key())) {
          out.add(c);
        }
      }
    }
    out.sort(ORDER);
    return List.copyOf(out);
  }

  @Override
  public Optional<Config> get(ConfigKey key) {
    for (ConfigStore s : stores) {
      Optional<Config> c = s.get(key);
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  /** Registers the handler on every source; each calls it on its own event thread. */
  @Override
  public void addHandler(ConfigEventHandler handler) {
    stores.forEach(s -> s.addHandler(handler));
  }

  @Override
  public boolean hasSynced() {
    return stores.stream().allMatch(ConfigStore::hasSynced);
  }
}

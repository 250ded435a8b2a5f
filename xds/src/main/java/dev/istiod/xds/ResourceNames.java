package dev.istiod.xds;

import com.google.common.collect.Interner;
import com.google.common.collect.Interners;
import java.util.AbstractSet;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The names a proxy subscribes to for one type: an immutable set that also keeps views derived from it (an index
 * of EDS cluster names by host, say), computed on first use and shared by every generation that reads the same
 * subscription. A subscription changes far less often than it is read: a proxy watching a thousand clusters gets
 * an endpoint push for one service without walking the thousand names again.
 *
 * <p>Equal subscriptions are one instance ({@link #of} interns them, weakly): the proxies of one sidecar scope
 * subscribe to the same thousand EDS clusters, so a view is derived once for all of them, and a cache key that
 * holds the subscription compares by identity. The interner forgets a set once no connection holds it.
 */
public final class ResourceNames extends AbstractSet<String> {
  private static final ResourceNames EMPTY = new ResourceNames(Set.of());
  private static final Function<Set<String>, List<String>> SORTED =
      names -> names.stream().sorted().collect(Collectors.toUnmodifiableList());
  private static final Interner<ResourceNames> INTERNED = Interners.newWeakInterner();

  private final Set<String> names;
  private final Map<Function<Set<String>, ?>, Object> views = new ConcurrentHashMap<>(2);
  private int hash; // memoised: a set of a thousand names may be a cache key

  private ResourceNames(Set<String> names) {
    this.names = names;
  }

  /** {@code names} itself when it already is one, else the one instance holding these names. */
  public static ResourceNames of(Collection<String> names) {
    if (names instanceof ResourceNames r) {
      return r;
    }
    return names.isEmpty() ? EMPTY : INTERNED.intern(new ResourceNames(Set.copyOf(names)));
  }

  /**
   * The view {@code derive} makes of these names, made once per set. {@code derive} must be a constant (a static
   * method reference held in a field) so that later calls find the view, and must return an immutable value.
   */
  @SuppressWarnings("unchecked")
  public static <T> T view(Set<String> names, Function<Set<String>, T> derive) {
    if (names instanceof ResourceNames r) {
      return (T) r.views.computeIfAbsent(derive, d -> d.apply(r.names));
    }
    return derive.apply(names);
  }

  /** The names in their natural order, sorted once per set. */
  public List<String> sorted() {
    return view(this, SORTED);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = names.hashCode();
      hash = h;
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (o instanceof ResourceNames r && r.hashCode() != hashCode()) {
      return false;
    }
    return super.equals(o);
  }

  @Override
  public boolean contains(Object o) {
    return names.contains(o);
  }

  @Override
  public Iterator<String> iterator() {
    return names.iterator();
  }

  @Override
  public int size() {
    return names.size();
  }
}

package dev.istiod.bench.load;

import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one simulated proxy holds and wants, independent of the transport (state of the world or delta): the
 * resources it accepted per type (as shared {@link ParsedResource}s, never bodies), the EDS and RDS names it is
 * subscribed to, the version it last accepted per type, and when it reached the milestones the phases measure.
 *
 * <p>Not thread-safe: its {@link SimulatedProxy} calls it under the proxy's lock.
 */
final class ProxyState {
  /** {@code apply…} result bit: the proxy has all four types, for the first time. */
  static final int COMPLETED = 1;
  /** {@code apply…} result bit: the watched change arrived, for the first time since the watch started. */
  static final int WATCH_SEEN = 2;

  /** A resource the current edit phase waits for; the proxy has converged on the edit when one arrives. */
  sealed interface ChangeWatch permits RouteChange, EndpointUpdate {
    XdsType type();

    boolean seen(ParsedResource received);
  }

  /** Any route configuration whose content differs from what the proxy held when the watch started. */
  record RouteChange(Map<String, ParsedResource> baseline) implements ChangeWatch {
    RouteChange {
      baseline = Map.copyOf(baseline);
    }

    @Override
    public XdsType type() {
      return XdsType.ROUTE;
    }

    @Override
    public boolean seen(ParsedResource received) {
      return received.differsFrom(baseline.get(received.name()));
    }
  }

  /** Any EDS response carrying this cluster's load assignment. */
  record EndpointUpdate(String cluster) implements ChangeWatch {
    @Override
    public XdsType type() {
      return XdsType.ENDPOINT;
    }

    @Override
    public boolean seen(ParsedResource received) {
      return received.name().equals(cluster);
    }
  }

  /**
   * A change of the names a non-wildcard type is subscribed to.
   *
   * @param names the whole new subscription (what a state-of-the-world request lists)
   */
  record SubscriptionChange(XdsType type, Set<String> names, Set<String> added, Set<String> removed) {}

  /**
   * What applying a response did.
   *
   * @param milestones {@link #COMPLETED} and/or {@link #WATCH_SEEN} when reached by this response, else 0
   * @param subscription the EDS (after CDS) or RDS (after LDS) subscription change to send, or null
   */
  record Applied(int milestones, SubscriptionChange subscription) {}

  private final EnumMap<XdsType, Map<String, ParsedResource>> held = new EnumMap<>(XdsType.class);
  private final EnumMap<XdsType, Long> heldBytes = new EnumMap<>(XdsType.class);
  private final EnumMap<XdsType, String> acceptedVersion = new EnumMap<>(XdsType.class);
  private final Set<XdsType> received = EnumSet.noneOf(XdsType.class);
  private Set<String> edsNames = Set.of();
  private Set<String> rdsNames = Set.of();
  // What a state-of-the-world request lists, sorted once per subscription change rather than once per ACK (a
  // sidecar ACKs a thousand EDS names with every response, and the load generator's CPU comes from the same
  // cores as the control plane's under test).
  private List<String> edsRequested = List.of();
  private List<String> rdsRequested = List.of();
  private boolean ldsRequested;
  private long openedNanos;
  private long completeNanos;
  private ChangeWatch watch;
  private long watchSeenNanos;

  ProxyState() {
    for (XdsType t : XdsType.values()) {
      held.put(t, new HashMap<>());
      heldBytes.put(t, 0L);
      acceptedVersion.put(t, "");
    }
  }

  /** Records the first time a stream was opened (the start of the proxy's initial convergence). */
  void opened(long nanos) {
    if (openedNanos == 0) {
      openedNanos = nanos;
    }
  }

  /** Names to request for a type: none for wildcard types, the current subscription for the others. */
  Set<String> subscribed(XdsType type) {
    return switch (type) {
      case ENDPOINT -> edsNames;
      case ROUTE -> rdsNames;
      case CLUSTER, LISTENER -> Set.of();
    };
  }

  /** The current subscription of a non-wildcard type in request order (sorted); empty for wildcard types. */
  List<String> requested(XdsType type) {
    return switch (type) {
      case ENDPOINT -> edsRequested;
      case ROUTE -> rdsRequested;
      case CLUSTER, LISTENER -> List.of();
    };
  }

  /**
   * Applies a state-of-the-world response: for a wildcard type it is the whole set, for the others an update of
   * the named resources (names the proxy is not subscribed to are ignored, as Envoy does).
   *
   * <p>After CDS and LDS the dependent subscription (EDS, RDS) follows the new references before completeness is
   * judged, so a listener that names a new route is never "complete" without it.
   */
  Applied applySotw(XdsType type, List<ParsedResource> resources, long nanos) {
    Map<String, ParsedResource> map = held.get(type);
    if (type.wildcard()) {
      map.clear();
      heldBytes.put(type, 0L);
    }
    for (ParsedResource r : resources) {
      if (type.wildcard() || subscribed(type).contains(r.name())) {
        put(map, r);
      }
    }
    return afterApply(type, resources, nanos);
  }

  /**
   * Applies a delta response: the resources it carries are added or replaced, the removed names dropped.
   *
   * @return as {@link #applySotw}
   */
  Applied applyDelta(XdsType type, List<ParsedResource> resources, Collection<String> removed, long nanos) {
    Map<String, ParsedResource> map = held.get(type);
    for (String name : removed) {
      remove(map, name);
    }
    for (ParsedResource r : resources) {
      if (type.wildcard() || subscribed(type).contains(r.name())) {
        put(map, r);
      }
    }
    return afterApply(type, resources, nanos);
  }

  private Applied afterApply(XdsType type, List<ParsedResource> resources, long nanos) {
    received.add(type);
    SubscriptionChange change = switch (type) {
      case CLUSTER -> resubscribe(XdsType.ENDPOINT);
      case LISTENER -> resubscribe(XdsType.ROUTE);
      case ENDPOINT, ROUTE -> null;
    };
    int events = 0;
    if (watch != null && watchSeenNanos == 0 && watch.type() == type) {
      for (ParsedResource r : resources) {
        if (watch.seen(r) && (type.wildcard() || subscribed(type).contains(r.name()))) {
          watchSeenNanos = nanos;
          events |= WATCH_SEEN;
          break;
        }
      }
    }
    if (completeNanos == 0 && complete()) {
      completeNanos = nanos;
      events |= COMPLETED;
    }
    return new Applied(events, change);
  }

  /**
   * Recomputes what the clusters (for EDS) or listeners (for RDS) reference; when that changed, subscribes to
   * the new names, forgets the resources of names no longer referenced, and returns the change.
   */
  private SubscriptionChange resubscribe(XdsType dependent) {
    XdsType source = switch (dependent) {
      case ENDPOINT -> XdsType.CLUSTER;
      case ROUTE -> XdsType.LISTENER;
      default -> throw new IllegalArgumentException("not a dependent type: " + dependent);
    };
    Set<String> wanted = new LinkedHashSet<>();
    for (ParsedResource r : held.get(source).values()) {
      wanted.addAll(r.references());
    }
    Set<String> current = subscribed(dependent);
    if (wanted.equals(current)) {
      return null;
    }
    Set<String> added = new LinkedHashSet<>(wanted);
    added.removeAll(current);
    Set<String> removed = new LinkedHashSet<>(current);
    removed.removeAll(wanted);
    Map<String, ParsedResource> map = held.get(dependent);
    for (String name : removed) {
      remove(map, name);
    }
    Set<String> names = Set.copyOf(wanted);
    List<String> requested = names.stream().sorted().toList();
    if (dependent == XdsType.ENDPOINT) {
      edsNames = names;
      edsRequested = requested;
    } else {
      rdsNames = names;
      rdsRequested = requested;
    }
    return new SubscriptionChange(dependent, names, Set.copyOf(added), Set.copyOf(removed));
  }

  /** Envoy's cluster manager is initialized: CDS arrived and every EDS cluster has its load assignment. */
  boolean clustersWarm() {
    return received.contains(XdsType.CLUSTER) && held.get(XdsType.ENDPOINT).keySet().containsAll(edsNames);
  }

  /** The proxy has all four types: CDS, EDS for every EDS cluster, LDS, RDS for every referenced route. */
  boolean complete() {
    return clustersWarm() && received.contains(XdsType.LISTENER)
        && held.get(XdsType.ROUTE).keySet().containsAll(rdsNames);
  }

  /** Whether LDS was requested yet: Envoy asks for listeners once its clusters are warm, then keeps the watch. */
  boolean ldsRequested() {
    return ldsRequested;
  }

  void markLdsRequested() {
    ldsRequested = true;
  }

  String acceptedVersion(XdsType type) {
    return acceptedVersion.get(type);
  }

  void accept(XdsType type, String version) {
    acceptedVersion.put(type, version);
  }

  /** Starts waiting for a change; the watch's baseline must come from {@link #routesHeld()} under the same lock. */
  void watch(ChangeWatch w) {
    watch = w;
    watchSeenNanos = 0;
  }

  Map<String, ParsedResource> routesHeld() {
    return held.get(XdsType.ROUTE);
  }

  long watchSeenNanos() {
    return watchSeenNanos;
  }

  long openedNanos() {
    return openedNanos;
  }

  long completeNanos() {
    return completeNanos;
  }

  int heldCount(XdsType type) {
    return held.get(type).size();
  }

  long heldBytes(XdsType type) {
    return heldBytes.get(type);
  }

  private void put(Map<String, ParsedResource> map, ParsedResource r) {
    ParsedResource old = map.put(r.name(), r);
    heldBytes.merge(r.type(), (long) r.bytes() - (old == null ? 0 : old.bytes()), Long::sum);
  }

  private void remove(Map<String, ParsedResource> map, String name) {
    ParsedResource old = map.remove(name);
    if (old != null) {
      heldBytes.merge(old.type(), (long) -old.bytes(), Long::sum);
    }
  }
}

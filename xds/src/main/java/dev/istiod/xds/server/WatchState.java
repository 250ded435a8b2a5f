package dev.istiod.xds.server;

import dev.istiod.xds.WatchedResource;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one connection knows about one type URL: the subscription and where the nonce/ACK
 * exchange stands. Mutable, confined to the connection's serial executor.
 */
final class WatchState {
  final String typeUrl;
  /** Explicitly subscribed names, never containing {@code "*"}. */
  private Set<String> names = new HashSet<>();
  // Immutable and sorted copies of names, made when first asked for after a change: a push and an ACK read them
  // (generation, debug snapshot) far more often than a subscription changes.
  private Set<String> frozen;
  private List<String> sorted;
  boolean wildcard;
  String nonceSent = "";
  String versionSent = "";
  String nonceAcked = "";
  String versionAcked = "";
  String lastError = "";
  Instant lastSent;
  /** Respond to the next request even if it looks like an ACK (Envoy warming, envoy#13009). */
  boolean alwaysRespond;
  /** Names the proxy holds from us (delta), so a full result's absences become removals. */
  Set<String> sentNames = new HashSet<>();

  WatchState(String typeUrl) {
    this.typeUrl = typeUrl;
  }

  /** The subscribed names, read-only. */
  Set<String> names() {
    return frozen();
  }

  /** Replaces the subscription with {@code replacement}, which this state owns from now on. */
  void names(Set<String> replacement) {
    if (replacement.equals(names)) {
      return; // a SotW ACK repeats the subscription: keep the copies made for it
    }
    names = replacement;
    changed();
  }

  boolean addName(String name) {
    boolean added = names.add(name);
    if (added) {
      changed();
    }
    return added;
  }

  void removeName(String name) {
    if (names.remove(name)) {
      changed();
    }
  }

  private void changed() {
    frozen = null;
    sorted = null;
  }

  private Set<String> frozen() {
    if (frozen == null) {
      frozen = Set.copyOf(names);
    }
    return frozen;
  }

  WatchedResource toWatched() {
    return new WatchedResource(typeUrl, wildcard, frozen());
  }

  void recordSent(String nonce, String version, Instant at) {
    nonceSent = nonce;
    versionSent = version;
    lastSent = at;
  }

  XdsConnectionSnapshot.Watch snapshot() {
    if (sorted == null) {
      sorted = frozen().stream().sorted().toList();
    }
    return new XdsConnectionSnapshot.Watch(typeUrl, wildcard, sorted, nonceSent,
        versionSent, nonceAcked, versionAcked, lastError, lastSent);
  }
}

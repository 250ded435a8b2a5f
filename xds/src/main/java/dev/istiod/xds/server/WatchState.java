package dev.istiod.xds.server;

import dev.istiod.xds.ResourceNames;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsResource;
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
  /**
   * Explicitly subscribed names, never containing {@code "*"}: a private HashSet while a delta stream edits it, else
   * the frozen set itself.
   */
  private Set<String> names = new HashSet<>();
  // The immutable (interned) set of names, made when first asked for after a change: pushes and ACKs read it far
  // more often than a subscription changes, and proxies of one scope share it instead of each keeping a copy.
  private ResourceNames frozen;
  boolean wildcard;
  String nonceSent = "";
  String versionSent = "";
  String nonceAcked = "";
  String versionAcked = "";
  String lastError = "";
  Instant lastSent;
  /** Respond to the next request even if it looks like an ACK (Envoy warming, envoy#13009). */
  boolean alwaysRespond;
  /** The names of the last SotW request, in its order, to recognise an ACK that repeats them cheaply. */
  RequestedNames requested = RequestedNames.NONE;
  /** Names the proxy holds from us (delta), so a full result's absences become removals. */
  Set<String> sentNames = new HashSet<>();
  /**
   * The resources of the last complete answer of this type, in order; null when the proxy may hold something
   * else (after an incremental or partial answer, or a NACK). A push that generates the same resources again has
   * nothing to tell the proxy: with the xDS cache most are the very same objects, so the check is cheap.
   */
  private List<XdsResource> held;

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
    boolean added = editable().add(name);
    if (added) {
      changed();
    }
    return added;
  }

  void removeName(String name) {
    if (names.contains(name) && editable().remove(name)) {
      changed();
    }
  }

  private Set<String> editable() {
    if (!(names instanceof HashSet)) {
      names = new HashSet<>(names);
    }
    return names;
  }

  private void changed() {
    frozen = null;
  }

  private ResourceNames frozen() {
    if (frozen == null) {
      frozen = ResourceNames.of(names);
      names = frozen;
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

  /** Remembers what a sent answer left the proxy holding: all of {@code resources}, or unknown (null). */
  void held(List<XdsResource> resources) {
    held = resources;
  }

  /** True when the proxy already holds exactly {@code resources} (same names, same content, same order). */
  boolean holds(List<XdsResource> resources) {
    List<XdsResource> h = held;
    if (h == null || h.size() != resources.size()) {
      return false;
    }
    for (int i = 0; i < h.size(); i++) {
      XdsResource a = h.get(i);
      XdsResource b = resources.get(i);
      if (a != b && !(a.name().equals(b.name()) && a.resource().equals(b.resource()))) {
        return false;
      }
    }
    return true;
  }

  XdsConnectionSnapshot.Watch snapshot() {
    return new XdsConnectionSnapshot.Watch(typeUrl, wildcard, frozen().sorted(), nonceSent,
        versionSent, nonceAcked, versionAcked, lastError, lastSent);
  }
}

package dev.istiod.xds.server;

import dev.istiod.xds.WatchedResource;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * What one connection knows about one type URL: the subscription and where the nonce/ACK
 * exchange stands. Mutable, confined to the connection's serial executor.
 */
final class WatchState {
  final String typeUrl;
  /** Explicitly subscribed names, never containing {@code "*"}. */
  Set<String> names = new HashSet<>();
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

  WatchedResource toWatched() {
    return new WatchedResource(typeUrl, wildcard, names);
  }

  void recordSent(String nonce, String version, Instant at) {
    nonceSent = nonce;
    versionSent = version;
    lastSent = at;
  }

  XdsConnectionSnapshot.Watch snapshot() {
    return new XdsConnectionSnapshot.Watch(typeUrl, wildcard, names.stream().sorted().toList(), nonceSent,
        versionSent, nonceAcked, versionAcked, lastError, lastSent);
  }
}

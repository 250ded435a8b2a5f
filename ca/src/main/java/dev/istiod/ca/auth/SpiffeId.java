package dev.istiod.ca.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * A workload identity {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}, the only
 * form istiod issues and the one secure xDS compares with a proxy's namespace and service account.
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {
  public static final String SCHEME = "spiffe://";

  public SpiffeId {
    requireSegment(trustDomain, "trust domain");
    requireSegment(namespace, "namespace");
    requireSegment(serviceAccount, "service account");
  }

  private static void requireSegment(String s, String what) {
    Objects.requireNonNull(s, what);
    if (s.isEmpty() || s.contains("/")) {
      throw new IllegalArgumentException("invalid " + what + " \"" + s + "\" in a SPIFFE id");
    }
  }

  /** Parses {@code spiffe://td/ns/x/sa/y}; empty for anything else. */
  public static Optional<SpiffeId> parse(String uri) {
    if (uri == null || !uri.startsWith(SCHEME)) {
      return Optional.empty();
    }
    String[] parts = uri.substring(SCHEME.length()).split("/", -1);
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
      return Optional.empty();
    }
    try {
      return Optional.of(new SpiffeId(parts[0], parts[2], parts[4]));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return SCHEME + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}

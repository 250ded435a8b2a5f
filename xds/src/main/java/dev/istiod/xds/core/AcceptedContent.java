package dev.istiod.xds.core;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.hash.HashCode;
import com.google.common.hash.Hashing;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.function.Function;

/**
 * The generated messages already found acceptable to Envoy, remembered by content, so that a message built again
 * with the same content is checked once instead of once per proxy: a sidecar's own inbound listeners and clusters
 * are built for each proxy, yet proxies with the same ports and policies get byte-identical ones.
 *
 * <p>Only acceptance is remembered. A message with problems is checked again every time, so each report names
 * what is wrong with it. Content is identified by the message type and a 128-bit hash of its serialized bytes
 * (two equal messages that serialize differently are merely checked twice); at most {@value #MAX_ENTRIES}
 * verdicts are kept, the least recently used forgotten first.
 */
public final class AcceptedContent {
  static final int MAX_ENTRIES = 4096;

  private record Fingerprint(Descriptor type, HashCode bytes) {}

  private static final Cache<Fingerprint, Boolean> ACCEPTED =
      CacheBuilder.newBuilder().maximumSize(MAX_ENTRIES).build();

  private AcceptedContent() {}

  /** {@code check}'s problems with {@code message}; none, without checking, when the same content passed before. */
  public static <M extends Message> List<String> problems(M message, Function<M, List<String>> check) {
    Fingerprint f = new Fingerprint(message.getDescriptorForType(),
        Hashing.murmur3_128().hashBytes(message.toByteArray()));
    if (ACCEPTED.getIfPresent(f) != null) {
      return List.of();
    }
    List<String> problems = check.apply(message);
    if (problems.isEmpty()) {
      ACCEPTED.put(f, Boolean.TRUE);
    }
    return problems;
  }
}

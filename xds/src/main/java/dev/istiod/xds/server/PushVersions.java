package dev.istiod.xds.server;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Push versions and response nonces in upstream's format: a version is the RFC 3339 time of the
 * push plus {@code "/"} and a counter; a nonce is the version followed by a random UUID.
 */
final class PushVersions {
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");

  private final Clock clock;
  private final AtomicLong counter = new AtomicLong();

  PushVersions(Clock clock) {
    this.clock = clock;
  }

  String next() {
    OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.SECONDS), clock.getZone());
    return RFC3339.format(now) + "/" + counter.incrementAndGet();
  }

  /**
   * A version-4 UUID after the version, as upstream's nonces carry. A nonce only pairs an ACK with its response on
   * one stream: it must be unique, not secret, so it comes from the thread's generator rather than the shared
   * SecureRandom every response of every stream would take a lock (and read the kernel's pool) for.
   */
  static String nonce(String version) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = random.nextLong() & ~0xF000L | 0x4000L; // version 4
    long low = random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L; // IETF variant
    return version + new UUID(high, low);
  }
}

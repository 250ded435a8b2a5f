package dev.istiod.xds.server;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
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

  static String nonce(String version) {
    return version + UUID.randomUUID();
  }
}

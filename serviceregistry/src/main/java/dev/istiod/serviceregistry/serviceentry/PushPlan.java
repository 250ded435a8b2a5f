package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Collects what one event changed, then becomes at most one {@link PushRequest}: a full push if
 * any service (or a change the endpoint index classed as full) needs it, otherwise incremental
 * EDS for the services whose endpoints moved. Mutable, and used by one event only.
 */
final class PushPlan {
  private final TriggerReason reason;
  private final Set<ConfigKey> fullKeys = new TreeSet<>();
  private final Set<ServiceKey> incremental = new TreeSet<>();

  PushPlan(TriggerReason reason) {
    this.reason = reason;
  }

  /** The service needs a full push (it changed, or its endpoints changed in a way EDS cannot carry). */
  void full(ServiceKey service) {
    fullKeys.add(serviceConfigKey(service));
  }

  /** A config (the ServiceEntry itself) to name in the full push, if there is one. */
  void alsoNames(ConfigKey key) {
    if (!fullKeys.isEmpty()) {
      fullKeys.add(key);
    }
  }

  void incremental(ServiceKey service) {
    incremental.add(service);
  }

  Optional<PushRequest> toRequest() {
    Set<ServiceKey> eds = new TreeSet<>(incremental);
    eds.removeIf(s -> fullKeys.contains(serviceConfigKey(s)));
    if (fullKeys.isEmpty()) {
      return eds.isEmpty() ? Optional.empty() : Optional.of(PushRequest.endpoints(eds));
    }
    PushRequest full = PushRequest.full(reason, fullKeys);
    return Optional.of(eds.isEmpty() ? full : full.merge(PushRequest.endpoints(eds)));
  }

  static ConfigKey serviceConfigKey(ServiceKey service) {
    return new ConfigKey(Kind.SERVICE, service.namespace(), service.hostname());
  }
}

package dev.istiod.serviceregistry.kube;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Collects what one event (or the initial sync) changed, then becomes at most one
 * {@link PushRequest}: a full push naming the services that need one, merged with incremental EDS
 * for the services whose endpoints alone moved. Mutable; used by one event only.
 */
final class KubePushPlan {
  private final Set<ConfigKey> fullKeys = new TreeSet<>();
  private final Set<TriggerReason> fullReasons = EnumSet.noneOf(TriggerReason.class);
  private final Set<ServiceKey> incremental = new TreeSet<>();

  /** The service needs a full push, for this reason. */
  void full(ServiceKey service, TriggerReason reason) {
    fullKeys.add(serviceConfigKey(service));
    fullReasons.add(reason);
  }

  void incremental(ServiceKey service) {
    incremental.add(service);
  }

  boolean isEmpty() {
    return fullKeys.isEmpty() && incremental.isEmpty();
  }

  Optional<PushRequest> toRequest() {
    Set<ServiceKey> eds = new TreeSet<>(incremental);
    eds.removeIf(s -> fullKeys.contains(serviceConfigKey(s)));
    if (fullKeys.isEmpty()) {
      return eds.isEmpty() ? Optional.empty() : Optional.of(PushRequest.endpoints(eds));
    }
    PushRequest full = new PushRequest(fullKeys, fullReasons, true, false, null);
    return Optional.of(eds.isEmpty() ? full : full.merge(PushRequest.endpoints(eds)));
  }

  /** How a service is named in a full push: kind SERVICE, its namespace, its hostname. */
  static ConfigKey serviceConfigKey(ServiceKey service) {
    return new ConfigKey(Kind.SERVICE, service.namespace(), service.hostname());
  }
}

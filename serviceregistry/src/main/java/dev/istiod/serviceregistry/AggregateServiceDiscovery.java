package dev.istiod.serviceregistry;

import dev.istiod.model.Proxy;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServiceTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several registries (ServiceEntries now, Kubernetes later) seen as one, which is what the
 * {@code Environment} holds. Registries are consulted in the order given: when two define the same
 * hostname in the same namespace, the first one's service is kept. A registry that throws is
 * logged and skipped for that call, so one broken registry never hides the others.
 */
public final class AggregateServiceDiscovery implements ServiceDiscovery {
  private static final Logger log = LoggerFactory.getLogger(AggregateServiceDiscovery.class);

  private final List<ServiceDiscovery> registries;

  public AggregateServiceDiscovery(List<? extends ServiceDiscovery> registries) {
    this.registries = List.copyOf(registries);
  }

  public static AggregateServiceDiscovery of(ServiceDiscovery... registries) {
    return new AggregateServiceDiscovery(List.of(registries));
  }

  /** Every registry's services, first registry winning on a duplicate key, ordered by (hostname, namespace). */
  @Override
  public List<Service> services() {
    Map<ServiceKey, Service> merged = new TreeMap<>();
    for (ServiceDiscovery registry : registries) {
      List<Service> services;
      try {
        services = registry.services();
      } catch (RuntimeException e) {
        log.error("service registry {} failed to list services", registry, e);
        continue;
      }
      for (Service s : services) {
        Service kept = merged.putIfAbsent(s.key(), s);
        if (kept != null && kept != s) {
          log.debug("service {} in {} is defined by several registries; keeping the {} one",
              s.hostname(), s.namespace(), kept.registry());
        }
      }
    }
    return List.copyOf(merged.values());
  }

  /** Every registry's targets for the proxy, concatenated in registry order. */
  @Override
  public List<ServiceTarget> serviceTargets(Proxy proxy) {
    List<ServiceTarget> out = new ArrayList<>();
    for (ServiceDiscovery registry : registries) {
      try {
        out.addAll(registry.serviceTargets(proxy));
      } catch (RuntimeException e) {
        log.error("service registry {} failed to list targets of {}", registry, proxy.id(), e);
      }
    }
    return List.copyOf(out);
  }
}

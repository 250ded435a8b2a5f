package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One ServiceEntry after conversion: the services of its hosts, plus what building its endpoints
 * needs, so that a WorkloadEntry event can recompute them without converting the entry again.
 *
 * @param ports the entry's valid ports, in spec order (invalid ones were logged and dropped)
 * @param selector the {@code workloadSelector} labels, if the entry has a selector
 * @param dnsResolved resolution DNS or DNS_ROUND_ROBIN: endpoints land in CDS, not only EDS
 * @param inlineEndpoints the entry's own {@code endpoints}
 */
record ConvertedEntry(
    Config config,
    List<Service> services,
    List<ServicePort> ports,
    Optional<Map<String, String>> selector,
    boolean dnsResolved,
    List<WorkloadEntry> inlineEndpoints) {

  ConvertedEntry {
    Objects.requireNonNull(config, "config");
    services = List.copyOf(services);
    ports = List.copyOf(ports);
    selector = selector.map(Map::copyOf);
    inlineEndpoints = List.copyOf(inlineEndpoints);
  }

  ConfigKey key() {
    return config.key();
  }

  String namespace() {
    return config.namespace();
  }

  /** The endpoint-index shard this entry writes, one per ServiceEntry as upstream keys them. */
  String shard() {
    return "ServiceEntry/" + config.namespace() + "/" + config.name();
  }
}

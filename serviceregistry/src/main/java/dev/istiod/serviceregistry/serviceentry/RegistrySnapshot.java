package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.Proxy;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's read side: an immutable view rebuilt by the event thread after every change and
 * published through a volatile field, so that {@code services()} and {@code serviceTargets()}
 * never lock and never see half an update.
 *
 * <p>Several ServiceEntries may declare the same host in one namespace. The oldest entry (by
 * creation time, then name) defines the service; a later one whose resolution, labels, exportTo
 * and selector agree adds the port numbers the first lacks, as upstream's sidecar scope merges
 * such services. A later one that disagrees is ignored for the service (its endpoints still join
 * the same {@link ServiceKey} in the endpoint index, as upstream's do).
 */
record RegistrySnapshot(
    List<Service> services,
    Map<ServiceKey, Service> byKey,
    Map<String, List<Instance>> instancesByAddress,
    List<ConvertedEntry> selectorEntries) {
  private static final Logger log = LoggerFactory.getLogger(RegistrySnapshot.class);

  static final RegistrySnapshot EMPTY = new RegistrySnapshot(List.of(), Map.of(), Map.of(), List.of());

  private static final Comparator<EntryState> AGE = Comparator
      .comparing((EntryState s) -> s.entry().config().meta().creationTimestamp())
      .thenComparing(s -> s.entry().key());

  RegistrySnapshot {
    services = List.copyOf(services);
    byKey = Map.copyOf(byKey);
    instancesByAddress = Map.copyOf(instancesByAddress);
    selectorEntries = List.copyOf(selectorEntries);
  }

  static RegistrySnapshot build(Collection<EntryState> entries) {
    List<EntryState> byAge = entries.stream().sorted(AGE).toList();
    Map<ServiceKey, Service> merged = new TreeMap<>();
    Map<ServiceKey, ConvertedEntry> definedBy = new HashMap<>();
    Map<String, List<Instance>> byAddress = new HashMap<>();
    List<ConvertedEntry> selectors = new ArrayList<>();
    for (EntryState state : byAge) {
      ConvertedEntry entry = state.entry();
      for (Service svc : entry.services()) {
        ConvertedEntry first = definedBy.putIfAbsent(svc.key(), entry);
        if (first == null) {
          merged.put(svc.key(), svc);
        } else {
          merged.put(svc.key(), mergePorts(merged.get(svc.key()), first, svc, entry));
        }
      }
      for (Instance i : state.instances()) {
        byAddress.computeIfAbsent(i.endpoint().address(), a -> new ArrayList<>()).add(i);
      }
      if (entry.selector().isPresent()) {
        selectors.add(entry);
      }
    }
    byAddress.replaceAll((a, l) -> List.copyOf(l));
    return new RegistrySnapshot(List.copyOf(merged.values()), merged, byAddress, selectors);
  }

  private static Service mergePorts(Service base, ConvertedEntry baseEntry, Service later, ConvertedEntry laterEntry) {
    boolean compatible = base.resolution() == later.resolution()
        && base.labels().equals(later.labels())
        && base.visibility().equals(later.visibility())
        && baseEntry.selector().equals(laterEntry.selector());
    if (!compatible) {
      log.debug("host {} in {} is defined by both {} and {}; the older one wins",
          base.hostname(), base.namespace(), baseEntry.key(), laterEntry.key());
      return base;
    }
    List<ServicePort> ports = new ArrayList<>(base.ports());
    for (ServicePort p : later.ports()) {
      if (base.port(p.port()).isEmpty()) {
        ports.add(p);
      }
    }
    if (ports.size() == base.ports().size()) {
      return base;
    }
    return new Service(base.hostname(), base.namespace(), base.addresses(), ports, base.resolution(),
        base.meshExternal(), base.visibility(), base.labels(), base.subjectAltNames(), base.registry(),
        base.origin());
  }

  /**
   * The service ports a proxy's workload implements: endpoints at one of its IPs (in its namespace,
   * when it has one), then entries whose {@code workloadSelector} matches its labels in its
   * namespace. The first match of a service port wins, so a WorkloadEntry's port override beats
   * the selector's default target port.
   */
  List<ServiceTarget> serviceTargets(Proxy proxy) {
    String ns = proxy.configNamespace();
    Map<TargetKey, ServiceTarget> out = new LinkedHashMap<>();
    for (String ip : proxy.ipAddresses()) {
      for (Instance i : instancesByAddress.getOrDefault(ip, List.of())) {
        Service svc = byKey.get(i.service());
        if (svc != null && (ns.isEmpty() || svc.namespace().equals(ns))) {
          out.putIfAbsent(new TargetKey(svc.key(), i.port().port()),
              new ServiceTarget(svc, i.port(), i.endpoint().port()));
        }
      }
    }
    for (ConvertedEntry entry : selectorEntries) {
      if (!entry.namespace().equals(ns) || !Selectors.matches(entry.selector().orElseThrow(), proxy.labels())) {
        continue;
      }
      for (Service own : entry.services()) {
        Service svc = Objects.requireNonNullElse(byKey.get(own.key()), own);
        for (ServicePort port : entry.ports()) {
          out.putIfAbsent(new TargetKey(svc.key(), port.port()),
              new ServiceTarget(svc, port, port.effectiveTargetPort()));
        }
      }
    }
    return out.values().stream()
        .sorted(Comparator.comparing((ServiceTarget t) -> t.service().key())
            .thenComparingInt(t -> t.port().port()))
        .toList();
  }

  private record TargetKey(ServiceKey service, int port) {}
}

package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.Proxy;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The registry's read side: an immutable view published through a volatile field after every
 * change, so that {@code services()} and {@code serviceTargets()} never lock and never see half an
 * update.
 *
 * <p>It is made of persistent maps ({@link PersistentSortedMap}): the event thread derives the next
 * snapshot from the last one by replacing only what one event touched, so an event costs
 * O(what it touched × log n), not a rebuild over every entry. The list form of the services is
 * made on first read, once per snapshot.
 *
 * <p>Several ServiceEntries may declare the same host in one namespace; {@link EntryIndex} merges
 * them into the one service this snapshot holds for the host.
 */
final class RegistrySnapshot {
  static final RegistrySnapshot EMPTY = new RegistrySnapshot(
      PersistentSortedMap.empty(), PersistentSortedMap.empty(), PersistentSortedMap.empty());

  /** The merged service of every host. */
  private final PersistentSortedMap<ServiceKey, Service> byKey;
  /** Per endpoint address, each entry's instances there, oldest entry first. */
  private final PersistentSortedMap<String, PersistentSortedMap<EntryAge, List<Instance>>> instancesByAddress;
  /** Per namespace, the entries with a {@code workloadSelector}, oldest first. */
  private final PersistentSortedMap<String, PersistentSortedMap<EntryAge, ConvertedEntry>> selectorEntries;
  /** {@code byKey}'s values as a list, made on first read (a benign race: any thread makes the same). */
  private volatile List<Service> services;

  private RegistrySnapshot(
      PersistentSortedMap<ServiceKey, Service> byKey,
      PersistentSortedMap<String, PersistentSortedMap<EntryAge, List<Instance>>> instancesByAddress,
      PersistentSortedMap<String, PersistentSortedMap<EntryAge, ConvertedEntry>> selectorEntries) {
    this.byKey = byKey;
    this.instancesByAddress = instancesByAddress;
    this.selectorEntries = selectorEntries;
  }

  /** Every service, ordered by (hostname, namespace). */
  List<Service> services() {
    List<Service> list = services;
    if (list == null) {
      list = byKey.values();
      services = list;
    }
    return list;
  }

  Service service(ServiceKey key) {
    return byKey.get(key);
  }

  /** This snapshot with the host's service replaced, or removed when {@code service} is null. */
  RegistrySnapshot withService(ServiceKey key, Service service) {
    var next = service == null ? byKey.without(key) : byKey.with(key, service);
    return next == byKey ? this : new RegistrySnapshot(next, instancesByAddress, selectorEntries);
  }

  /** This snapshot with one entry's instances at one address replaced, or removed when null. */
  RegistrySnapshot withInstances(String address, EntryAge entry, List<Instance> instances) {
    var next = instancesByAddress.update(address, atAddress -> {
      var base = atAddress == null ? PersistentSortedMap.<EntryAge, List<Instance>>empty() : atAddress;
      var changed = instances == null ? base.without(entry) : base.with(entry, List.copyOf(instances));
      return changed.isEmpty() ? null : changed;
    });
    return next == instancesByAddress ? this : new RegistrySnapshot(byKey, next, selectorEntries);
  }

  /** This snapshot with an entry that has a selector added, replaced, or removed when null. */
  RegistrySnapshot withSelectorEntry(String namespace, EntryAge age, ConvertedEntry entry) {
    var next = selectorEntries.update(namespace, inNamespace -> {
      var base = inNamespace == null ? PersistentSortedMap.<EntryAge, ConvertedEntry>empty() : inNamespace;
      var changed = entry == null ? base.without(age) : base.with(age, entry);
      return changed.isEmpty() ? null : changed;
    });
    return next == selectorEntries ? this : new RegistrySnapshot(byKey, instancesByAddress, next);
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
      var atAddress = instancesByAddress.get(ip);
      if (atAddress == null) {
        continue;
      }
      atAddress.forEach((age, instances) -> {
        for (Instance i : instances) {
          Service svc = byKey.get(i.service());
          if (svc != null && (ns.isEmpty() || svc.namespace().equals(ns))) {
            out.putIfAbsent(new TargetKey(svc.key(), i.port().port()),
                new ServiceTarget(svc, i.port(), i.endpoint().port()));
          }
        }
      });
    }
    var inNamespace = selectorEntries.get(ns);
    for (ConvertedEntry entry : inNamespace == null ? List.<ConvertedEntry>of() : inNamespace.values()) {
      if (!Selectors.matches(entry.selector().orElseThrow(), proxy.labels())) {
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

package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.model.Config;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.Visibility;
import dev.istiod.serviceregistry.WorkloadInstance;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates ServiceEntry and WorkloadEntry configs into model services and endpoints, following
 * upstream's {@code serviceentry/conversion.go}. Stateless apart from the mesh config it reads
 * (trust domain, default {@code exportTo}), so the registry can call it for any event.
 */
final class ServiceEntryConverter {
  private static final Logger log = LoggerFactory.getLogger(ServiceEntryConverter.class);

  static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";
  static final String LOCALITY_LABEL = "istio-locality";
  static final String REGION_LABEL = "topology.kubernetes.io/region";
  static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  static final String SUBZONE_LABEL = "topology.istio.io/subzone";
  static final String CLUSTER_LABEL = "topology.istio.io/cluster";
  static final String NETWORK_LABEL = "topology.istio.io/network";

  private final Supplier<MeshConfig> mesh;
  private final String clusterId;

  ServiceEntryConverter(Supplier<MeshConfig> mesh, String clusterId) {
    this.mesh = mesh;
    this.clusterId = clusterId;
  }

  /**
   * Converts a ServiceEntry into one service per host. Ports that cannot work (no name, number out
   * of range, duplicates) are logged and dropped so that the rest of the entry still serves.
   *
   * @throws IllegalArgumentException when the entry as a whole cannot be served (no hosts, a
   *     resolution this registry does not implement)
   */
  ConvertedEntry convert(Config cfg) {
    ServiceEntry se = cfg.spec(ServiceEntry.class);
    Resolution resolution = resolution(se);
    Set<String> hosts = new LinkedHashSet<>();
    for (String h : se.getHostsList()) {
      if (!h.isEmpty()) {
        hosts.add(h);
      }
    }
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("ServiceEntry has no hosts");
    }
    List<ServicePort> ports = ports(cfg, se);
    List<String> addresses = addresses(cfg, se);
    Visibility visibility = visibility(se);
    boolean dns = resolution == Resolution.DNS_LB || resolution == Resolution.DNS_ROUND_ROBIN;
    Optional<Map<String, String>> selector =
        se.hasWorkloadSelector() ? Optional.of(se.getWorkloadSelector().getLabelsMap()) : Optional.empty();

    List<Service> services = new ArrayList<>();
    for (String host : hosts) {
      if (dns && host.startsWith("*") && se.getEndpointsCount() == 0 && selector.isEmpty()) {
        // Upstream would make "*.example.com" the endpoint address of a DNS cluster, which Envoy
        // rejects (a NACK of the whole CDS update); serve the service without endpoints instead.
        log.warn("{}: wildcard host {} with {} resolution and no endpoints gets no endpoints",
            describe(cfg), host, se.getResolution());
      }
      services.add(new Service(host, cfg.namespace(), addresses, ports, resolution,
          se.getLocation() == ServiceEntry.Location.MESH_EXTERNAL, visibility, cfg.meta().labels(),
          se.getSubjectAltNamesList(), Service.Registry.SERVICE_ENTRY, cfg.key()));
    }
    return new ConvertedEntry(cfg, services, ports, selector, dns, se.getEndpointsList());
  }

  /** {@link #instances(ConvertedEntry, List, List)} without workloads from other registries. */
  List<Instance> instances(ConvertedEntry entry, List<Config> namespaceWorkloads) {
    return instances(entry, namespaceWorkloads, List.of());
  }

  /**
   * The endpoints of a converted entry: its inline endpoints, the WorkloadEntries its selector
   * picks from {@code namespaceWorkloads} (WorkloadEntry configs) and the workloads of other
   * registries (Pods) it picks from {@code namespacePods}, on every port of every host; for DNS
   * resolution with none of these, each host is its own endpoint. Both lists may hold any workloads
   * as long as they include every one of the entry's namespace that its selector matches: the
   * registry passes only those carrying one of the selector's labels, the whole namespace is fine.
   */
  List<Instance> instances(ConvertedEntry entry, List<Config> namespaceWorkloads,
      List<WorkloadInstance> namespacePods) {
    List<Instance> out = new ArrayList<>();
    if (entry.dnsResolved() && entry.inlineEndpoints().isEmpty() && entry.selector().isEmpty()) {
      for (Service svc : entry.services()) {
        if (svc.hostname().startsWith("*")) {
          continue;
        }
        for (ServicePort port : entry.ports()) {
          Endpoint ep = new Endpoint(svc.hostname(), port.effectiveTargetPort(), port.name(), Map.of(), "",
              Locality.NONE, Endpoint.Health.HEALTHY, Endpoint.TlsMode.DISABLED, 0, "", "");
          out.add(new Instance(svc.key(), port, ep));
        }
      }
      return out;
    }
    List<Workload> workloads = new ArrayList<>();
    entry.inlineEndpoints().forEach(we -> workloads.add(new Workload(we, "")));
    entry.selector().ifPresent(sel -> workloads.addAll(selected(entry, sel, namespaceWorkloads)));
    List<WorkloadInstance> pods = entry.selector()
        .map(sel -> selectedPods(entry, sel, namespacePods)).orElse(List.of());
    for (Service svc : entry.services()) {
      for (ServicePort port : entry.ports()) {
        for (Workload w : workloads) {
          endpoint(entry, svc, port, w).ifPresent(ep -> out.add(new Instance(svc.key(), port, ep)));
        }
        for (WorkloadInstance pod : pods) {
          out.add(new Instance(svc.key(), port, podEndpoint(svc, port, pod)));
        }
      }
    }
    return out;
  }

  /** The workloads of the entry's namespace its selector matches (on their topology-augmented labels, as upstream). */
  private static List<WorkloadInstance> selectedPods(ConvertedEntry entry, Map<String, String> selector,
      List<WorkloadInstance> pods) {
    return pods.stream()
        .filter(p -> p.namespace().equals(entry.namespace()) && Selectors.matches(selector, p.labels()))
        .sorted(Comparator.comparing(WorkloadInstance::name))
        .toList();
  }

  /**
   * A selected Pod's endpoint, as upstream builds it from the Pod's own endpoint: port from the
   * Pod's container port of the same name, else the entry's targetPort, else its number; the
   * Pod's labels, identity, locality and TLS mode as the Kubernetes registry describes them.
   */
  private Endpoint podEndpoint(Service svc, ServicePort port, WorkloadInstance pod) {
    Integer named = pod.portMap().get(port.name());
    int endpointPort = named != null && named > 0 && named <= 65535 ? named : port.effectiveTargetPort();
    String identity = pod.serviceAccount().isEmpty() ? "" : spiffeId(svc.namespace(), pod.serviceAccount());
    return new Endpoint(pod.address(), endpointPort, port.name(), pod.labels(), identity, pod.locality(), Endpoint.Health.HEALTHY, pod.tlsMode(), 0,
        pod.network(), pod.workloadName());
  }

  /**
   * A WorkloadEntry config's spec with its metadata labels merged in (metadata wins), as
   * upstream's {@code ConvertWorkloadEntry}: selectors see both.
   */
  static WorkloadEntry mergedWorkloadEntry(Config cfg) {
    WorkloadEntry we = cfg.spec(WorkloadEntry.class);
    if (cfg.meta().labels().isEmpty()) {
      return we;
    }
    return we.toBuilder().putAllLabels(cfg.meta().labels()).build();
  }

  /** A workload behind an endpoint: an inline SE endpoint (no name) or a WorkloadEntry config. */
  private record Workload(WorkloadEntry spec, String name) {}

  private List<Workload> selected(ConvertedEntry entry, Map<String, String> selector, List<Config> workloads) {
    List<Workload> out = new ArrayList<>();
    workloads.stream()
        .filter(c -> c.namespace().equals(entry.namespace()))
        .sorted(Comparator.comparing(Config::name))
        .forEach(c -> {
          WorkloadEntry we;
          try {
            we = mergedWorkloadEntry(c);
          } catch (RuntimeException e) {
            log.warn("{}: skipping unreadable WorkloadEntry ({})", describe(c), e.getMessage());
            return;
          }
          if (!Selectors.matches(selector, we.getLabelsMap())) {
            return;
          }
          if (!entry.dnsResolved() && !Addresses.isIpLiteral(we.getAddress())) {
            // As upstream: hostname and Unix-socket workloads only back DNS-resolved entries.
            log.debug("{}: skipping WorkloadEntry {} with non-IP address {}", describe(entry.config()),
                c.name(), we.getAddress());
            return;
          }
          out.add(new Workload(we, c.name()));
        });
    return out;
  }

  private Optional<Endpoint> endpoint(ConvertedEntry entry, Service svc, ServicePort port, Workload w) {
    WorkloadEntry we = w.spec();
    String address = we.getAddress();
    if (address.isEmpty()) {
      log.warn("{}: skipping endpoint {} without an address", describe(entry.config()), w.name());
      return Optional.empty();
    }
    // Port priority as upstream: Unix socket (no port) > endpoint ports[name] > targetPort > number.
    int endpointPort;
    Integer named = we.getPortsMap().get(port.name());
    if (address.startsWith(Addresses.UNIX_PREFIX)) {
      address = address.substring(Addresses.UNIX_PREFIX.length());
      endpointPort = 0;
    } else if (named != null && named > 0 && named <= 65535) {
      endpointPort = named;
    } else {
      endpointPort = port.effectiveTargetPort();
    }
    String localityText = !we.getLocality().isEmpty()
        ? we.getLocality() : we.getLabelsMap().getOrDefault(LOCALITY_LABEL, "");
    Locality locality = Locality.parse(localityText);
    String serviceAccount = we.getServiceAccount().isEmpty()
        ? "" : spiffeId(svc.namespace(), we.getServiceAccount());
    int weight = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(we.getWeight()));
    return Optional.of(new Endpoint(address, endpointPort, port.name(),
        topologyLabels(we.getLabelsMap(), locality, we.getNetwork()), serviceAccount, locality,
        Endpoint.Health.HEALTHY, tlsMode(we), weight, we.getNetwork(), w.name()));
  }

  /** As upstream: the tlsMode label decides; without it, a service account implies a sidecar. */
  static Endpoint.TlsMode tlsMode(WorkloadEntry we) {
    String label = we.getLabelsMap().get(TLS_MODE_LABEL);
    if (label != null) {
      return "istio".equals(label) ? Endpoint.TlsMode.ISTIO : Endpoint.TlsMode.DISABLED;
    }
    return we.getServiceAccount().isEmpty() ? Endpoint.TlsMode.DISABLED : Endpoint.TlsMode.ISTIO;
  }

  /** The workload's labels plus the topology labels upstream adds, so subsets can select by them. */
  private Map<String, String> topologyLabels(Map<String, String> labels, Locality locality, String network) {
    Map<String, String> out = new HashMap<>(labels);
    if (!locality.region().isEmpty()) {
      out.put(REGION_LABEL, locality.region());
    }
    if (!locality.zone().isEmpty()) {
      out.put(ZONE_LABEL, locality.zone());
    }
    if (!locality.subzone().isEmpty()) {
      out.put(SUBZONE_LABEL, locality.subzone());
    }
    if (!clusterId.isEmpty()) {
      out.put(CLUSTER_LABEL, clusterId);
    }
    if (!network.isEmpty()) {
      out.putIfAbsent(NETWORK_LABEL, network);
    }
    return out;
  }

  private String spiffeId(String namespace, String serviceAccount) {
    String trustDomain = mesh.get().getTrustDomain();
    if (trustDomain.isEmpty()) {
      trustDomain = "cluster.local";
    }
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  private static Resolution resolution(ServiceEntry se) {
    return switch (se.getResolution()) {
      case NONE -> Resolution.PASSTHROUGH;
      case STATIC -> Resolution.CLIENT_SIDE_LB;
      case DNS -> Resolution.DNS_LB;
      case DNS_ROUND_ROBIN -> Resolution.DNS_ROUND_ROBIN;
      default -> throw new IllegalArgumentException("resolution " + se.getResolution() + " is not supported");
    };
  }

  private static List<ServicePort> ports(Config cfg, ServiceEntry se) {
    List<ServicePort> out = new ArrayList<>();
    Set<Integer> numbers = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (var p : se.getPortsList()) {
      long number = Integer.toUnsignedLong(p.getNumber());
      long target = Integer.toUnsignedLong(p.getTargetPort());
      String problem = p.getName().isEmpty() ? "has no name"
          : number < 1 || number > 65535 ? "has number out of range"
          : target > 65535 ? "has targetPort out of range"
          : !numbers.add((int) number) ? "repeats a port number"
          : !names.add(p.getName()) ? "repeats a port name"
          : null;
      if (problem != null) {
        log.warn("{}: ignoring port {} ({}): it {}", describe(cfg), number, p.getName(), problem);
        continue;
      }
      out.add(new ServicePort(p.getName(), (int) number, Protocol.parse(p.getProtocol()), (int) target));
    }
    return out;
  }

  private static List<String> addresses(Config cfg, ServiceEntry se) {
    List<String> out = new ArrayList<>();
    for (String a : se.getAddressesList()) {
      Optional<String> address = Addresses.serviceAddress(a);
      if (address.isEmpty()) {
        log.warn("{}: ignoring address {}: not an IP or CIDR", describe(cfg), a);
      } else if (!out.contains(address.get())) {
        out.add(address.get());
      }
    }
    return out;
  }

  private Visibility visibility(ServiceEntry se) {
    if (se.getExportToCount() > 0) {
      return new Visibility(Set.copyOf(se.getExportToList()));
    }
    List<String> meshDefault = mesh.get().getDefaultServiceExportToList();
    return meshDefault.isEmpty() ? Visibility.PUBLIC : new Visibility(Set.copyOf(meshDefault));
  }

  /** How a config is named in logs: kind, key and, when known, the file it came from. */
  static String describe(Config cfg) {
    String origin = cfg.meta().origin();
    return cfg.key() + (origin.isEmpty() ? "" : " (" + origin + ")");
  }
}

package dev.istiod.serviceregistry.kube;

import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Locality;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes registry's state and event logic, free of informers so that tests drive it with
 * plain objects. Every {@code apply*} method takes an object's current version (null = deleted)
 * and must be called from one thread at a time (the registry's queue); readers use the
 * thread-safe views ({@link #services()}, {@link #matcher()}, {@link #namespaceLabels}).
 *
 * <p>Design note. Endpoints of a Service are a function of (the Service, its EndpointSlices, the
 * Pods they point at, those Pods' Nodes and namespaces), and are only written to the
 * {@link EndpointIndex} while the Service exists. Any event that changes one input rebuilds the
 * endpoints of exactly the Services it feeds: slices name their Service by label; a reverse index
 * from Pod references (by name or by IP) to Services covers Pods, and through Pods, Nodes and
 * namespaces. The index then says whether the change is incremental EDS or needs a full push.
 * Until the initial sync, nothing is pushed; the sync ends with one full push.
 */
final class KubeController {
  private static final Logger log = LoggerFactory.getLogger(KubeController.class);

  private final EndpointIndex endpointIndex;
  private final Consumer<PushRequest> pushes;
  private final Consumer<PodInfo> podChanges;
  private final ServiceConverter serviceConverter;
  private final PodConverter podConverter;
  private final EndpointsBuilder endpointsBuilder;
  private final PodIndex pods = new PodIndex();
  private final PodWorkloads workloads = new PodWorkloads();
  private final ProxyMatcher matcher;

  // Event-thread state.
  private final Map<ObjectName, Pod> rawPods = new HashMap<>();
  private final Map<String, Locality> nodeLocalities = new HashMap<>();
  private final Map<ObjectName, KubeService> services = new HashMap<>();
  /** Service → slice name → slice. */
  private final Map<ObjectName, Map<String, EndpointSlice>> slicesByService = new HashMap<>();
  /** Slice → the Service its label named when it was applied. */
  private final Map<ObjectName, ObjectName> sliceOwners = new HashMap<>();
  private final Map<ObjectName, Set<String>> refsByService = new HashMap<>();
  private final Map<String, Set<ObjectName>> servicesByRef = new HashMap<>();
  private volatile boolean synced;

  // Thread-safe views.
  private final ConcurrentHashMap<String, Map<String, String>> namespaceLabels = new ConcurrentHashMap<>();
  private volatile ServicesView view = ServicesView.EMPTY;

  /** What readers see of the Services: replaced whole after each Service change. */
  private record ServicesView(List<Service> services, Map<String, List<KubeService>> byNamespace) {
    static final ServicesView EMPTY = new ServicesView(List.of(), Map.of());
  }

  KubeController(EndpointIndex endpointIndex, Consumer<PushRequest> pushes, KubeServiceRegistry.Options options) {
    this.endpointIndex = Objects.requireNonNull(endpointIndex, "endpointIndex");
    this.pushes = Objects.requireNonNull(pushes, "pushes");
    this.podChanges = options.podChanges();
    this.serviceConverter = new ServiceConverter(options.domainSuffix(), options.mesh());
    this.podConverter = new PodConverter(options.clusterId());
    this.endpointsBuilder = new EndpointsBuilder(podConverter, options.mesh());
    this.matcher = new ProxyMatcher(pods, ns -> view.byNamespace().getOrDefault(ns, List.of()), endpointIndex,
        options.clusterId());
  }

  // ---- reads (any thread) ----

  List<Service> services() {
    return view.services();
  }

  ProxyMatcher matcher() {
    return matcher;
  }

  /** The Pods ServiceEntry selectors may pick, and their changes. */
  PodWorkloads workloads() {
    return workloads;
  }

  Map<String, String> namespaceLabels(String namespace) {
    return namespaceLabels.getOrDefault(namespace, Map.of());
  }

  boolean synced() {
    return synced;
  }

  // ---- events (queue thread) ----

  void applyNamespace(String name, Namespace ns) {
    Map<String, String> before = namespaceLabels(name);
    Map<String, String> after = ns == null || ns.getMetadata().getLabels() == null
        ? Map.of() : Map.copyOf(ns.getMetadata().getLabels());
    if (ns == null) {
      namespaceLabels.remove(name);
    } else {
      namespaceLabels.put(name, after);
    }
    if (!Objects.equals(before.get(KubeLabels.NETWORK), after.get(KubeLabels.NETWORK))) {
      KubePushPlan plan = new KubePushPlan();
      rawPods.keySet().stream().filter(k -> k.namespace().equals(name)).toList()
          .forEach(k -> refreshPod(k, plan));
      finish(plan);
    }
  }

  void applyNode(String name, Node node) {
    Locality before = nodeLocalities.getOrDefault(name, Locality.NONE);
    Locality after = node == null ? Locality.NONE : PodConverter.nodeLocality(node);
    if (node == null) {
      nodeLocalities.remove(name);
    } else {
      nodeLocalities.put(name, after);
    }
    if (!before.equals(after)) {
      KubePushPlan plan = new KubePushPlan();
      for (PodInfo p : pods.all()) {
        if (p.nodeName().equals(name)) {
          refreshPod(new ObjectName(p.namespace(), p.name()), plan);
        }
      }
      finish(plan);
    }
  }

  void applyPod(ObjectName key, Pod pod) {
    KubePushPlan plan = new KubePushPlan();
    if (pod == null) {
      rawPods.remove(key);
    } else {
      rawPods.put(key, pod);
    }
    refreshPod(key, plan);
    finish(plan);
  }

  void applyService(ObjectName key, io.fabric8.kubernetes.api.model.Service svc) {
    KubePushPlan plan = new KubePushPlan();
    putService(key, svc, plan);
    finish(plan);
  }

  void applySlice(ObjectName key, EndpointSlice slice) {
    KubePushPlan plan = new KubePushPlan();
    putSlice(key, slice, plan);
    finish(plan);
  }

  /**
   * Applies the informers' full contents, dropping whatever the state holds that they do not, then
   * announces everything with one full push. Called once, when every informer has synced.
   */
  void sync(Collection<Namespace> namespaces, Collection<Node> nodes, Collection<Pod> podList,
      Collection<io.fabric8.kubernetes.api.model.Service> serviceList, Collection<EndpointSlice> slices) {
    KubePushPlan ignored = new KubePushPlan();
    Set<String> nsNames = new HashSet<>();
    namespaces.forEach(ns -> {
      nsNames.add(ns.getMetadata().getName());
      applyNamespace(ns.getMetadata().getName(), ns);
    });
    List.copyOf(namespaceLabels.keySet()).stream().filter(n -> !nsNames.contains(n)).forEach(n -> applyNamespace(n, null));
    Set<String> nodeNames = new HashSet<>();
    nodes.forEach(n -> {
      nodeNames.add(n.getMetadata().getName());
      applyNode(n.getMetadata().getName(), n);
    });
    List.copyOf(nodeLocalities.keySet()).stream().filter(n -> !nodeNames.contains(n)).forEach(n -> applyNode(n, null));
    Set<ObjectName> podNames = keys(podList);
    podList.forEach(p -> applyPod(ObjectName.of(p), p));
    List.copyOf(rawPods.keySet()).stream().filter(k -> !podNames.contains(k)).forEach(k -> applyPod(k, null));
    Set<ObjectName> svcNames = keys(serviceList);
    serviceList.forEach(s -> putService(ObjectName.of(s), s, ignored));
    List.copyOf(services.keySet()).stream().filter(k -> !svcNames.contains(k)).forEach(k -> putService(k, null, ignored));
    Set<ObjectName> sliceNames = keys(slices);
    slices.forEach(s -> putSlice(ObjectName.of(s), s, ignored));
    List.copyOf(sliceOwners.keySet()).stream().filter(k -> !sliceNames.contains(k)).forEach(k -> putSlice(k, null, ignored));
    publishServices();
    synced = true;
    KubePushPlan all = new KubePushPlan();
    services.values().forEach(s -> all.full(s.service().key(), TriggerReason.SERVICE));
    log.info("Kubernetes registry synced: {} services, {} endpoint slices, {} pods, {} nodes, {} namespaces",
        services.size(), sliceOwners.size(), pods.size(), nodeLocalities.size(), namespaceLabels.size());
    finish(all);
  }

  // ---- internals ----

  private void putService(ObjectName key, io.fabric8.kubernetes.api.model.Service svc, KubePushPlan plan) {
    KubeService old = services.get(key);
    KubeService next = null;
    if (svc != null) {
      try {
        next = serviceConverter.convert(svc).orElse(null);
      } catch (RuntimeException e) {
        log.error("Service {} cannot be converted ({}); {}", key, e.getMessage(),
            old == null ? "ignoring it" : "keeping its previous version", e);
        return;
      }
    }
    if (next == null) {
      if (old != null) {
        services.remove(key);
        endpointIndex.delete(old.service().key(), shard(key));
        setRefs(key, Set.of());
        if (!old.hidden()) {
          plan.full(old.service().key(), TriggerReason.SERVICE);
        }
        publishIfSynced();
      }
      return;
    }
    services.put(key, next);
    if (!next.equals(old)) {
      if (!(next.hidden() && (old == null || old.hidden()))) {
        plan.full(next.service().key(), TriggerReason.SERVICE);
      }
      publishIfSynced();
    }
    rebuildEndpoints(key, plan);
  }

  private void putSlice(ObjectName key, EndpointSlice slice, KubePushPlan plan) {
    ObjectName before = sliceOwners.remove(key);
    if (before != null) {
      Map<String, EndpointSlice> owned = slicesByService.get(before);
      if (owned != null) {
        owned.remove(key.name());
        if (owned.isEmpty()) {
          slicesByService.remove(before);
        }
      }
    }
    ObjectName after = slice == null ? null : owner(key, slice);
    if (after != null) {
      sliceOwners.put(key, after);
      slicesByService.computeIfAbsent(after, k -> new TreeMap<>()).put(key.name(), slice);
      rebuildEndpoints(after, plan);
    }
    if (before != null && !before.equals(after)) {
      rebuildEndpoints(before, plan);
    }
  }

  /** The Service a slice belongs to, or null for slices upstream ignores. */
  private static ObjectName owner(ObjectName key, EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels() == null ? Map.of() : slice.getMetadata().getLabels();
    if (labels.containsKey(KubeLabels.MCS_SERVICE_NAME)) {
      return null;
    }
    String service = labels.get(KubeLabels.SERVICE_NAME);
    if (service == null || service.isEmpty()) {
      log.debug("EndpointSlice {} has no {} label; ignoring it", key, KubeLabels.SERVICE_NAME);
      return null;
    }
    return new ObjectName(key.namespace(), service);
  }

  /** Re-derives a Pod from its raw object and current Node/namespace, rebuilding what it feeds. */
  private void refreshPod(ObjectName key, KubePushPlan plan) {
    PodInfo old = pods.get(key).orElse(null);
    List<String> oldIps = old == null ? List.of() : old.ips();
    boolean wasAddressable = pods.ownsIps(key);
    Pod pod = rawPods.get(key);
    PodInfo next = null;
    boolean addressable = false;
    if (pod == null) {
      pods.remove(key);
    } else {
      next = podConverter.convert(pod, nodeLocalities.getOrDefault(podNode(pod), Locality.NONE),
          namespaceLabels(key.namespace()).getOrDefault(KubeLabels.NETWORK, ""));
      addressable = PodConverter.addressable(pod);
      pods.put(next, addressable);
    }
    // Readiness is not part of PodInfo, so the workload view is refreshed before the shortcut.
    workloads.refresh(key, pod, next);
    if (Objects.equals(old, next) && wasAddressable == addressable) {
      return;
    }
    Set<String> refs = new LinkedHashSet<>();
    refs.add(EndpointsBuilder.podRef(key));
    oldIps.forEach(ip -> refs.add(EndpointsBuilder.ipRef(key.namespace(), ip)));
    if (next != null) {
      next.ips().forEach(ip -> refs.add(EndpointsBuilder.ipRef(key.namespace(), ip)));
    }
    Set<ObjectName> affected = new LinkedHashSet<>();
    refs.forEach(r -> affected.addAll(servicesByRef.getOrDefault(r, Set.of())));
    affected.forEach(s -> rebuildEndpoints(s, plan));
    if (next != null && !next.equals(old)) {
      notifyPodChange(next);
    }
  }

  private static String podNode(Pod pod) {
    return pod.getSpec() == null ? "" : PodConverter.nullToEmpty(pod.getSpec().getNodeName());
  }

  private void rebuildEndpoints(ObjectName name, KubePushPlan plan) {
    KubeService svc = services.get(name);
    if (svc == null) {
      setRefs(name, Set.of()); // endpoints exist only for known Services; its arrival rebuilds them
      return;
    }
    EndpointsBuilder.Result result = endpointsBuilder.build(svc,
        slicesByService.getOrDefault(name, Map.of()).values(), lookup());
    setRefs(name, result.podRefs());
    ServiceKey key = svc.service().key();
    EndpointIndex.PushType type = endpointIndex.update(key, shard(name), result.endpoints());
    if (svc.hidden() || type == EndpointIndex.PushType.NONE) {
      return;
    }
    if (type == EndpointIndex.PushType.FULL) {
      plan.full(key, TriggerReason.ENDPOINT);
    } else if (svc.isExternalName()) {
      plan.full(key, TriggerReason.SERVICE); // DNS endpoints travel inline in CDS
    } else if (svc.isHeadless() && svc.service().ports().stream().anyMatch(p -> !p.protocol().isHttp())) {
      // Non-HTTP ports of a headless Service get one outbound listener per endpoint IP.
      plan.full(key, TriggerReason.HEADLESS_ENDPOINT);
    } else {
      plan.incremental(key);
    }
  }

  private EndpointsBuilder.PodLookup lookup() {
    return new EndpointsBuilder.PodLookup() {
      @Override
      public Optional<PodInfo> byName(ObjectName pod) {
        return pods.get(pod);
      }

      @Override
      public Optional<PodInfo> byIp(String namespace, String ip) {
        return pods.withIp(namespace, ip);
      }
    };
  }

  private void setRefs(ObjectName service, Set<String> refs) {
    Set<String> old = refs.isEmpty() ? refsByService.remove(service) : refsByService.put(service, refs);
    if (old != null) {
      for (String r : old) {
        Set<ObjectName> s = servicesByRef.get(r);
        if (s != null && s.remove(service) && s.isEmpty()) {
          servicesByRef.remove(r);
        }
      }
    }
    refs.forEach(r -> servicesByRef.computeIfAbsent(r, k -> new HashSet<>()).add(service));
  }

  /** The EndpointIndex shard this registry writes for one Service. */
  static String shard(ObjectName service) {
    return "Kubernetes/" + service.namespace() + "/" + service.name();
  }

  /** Before the sync, readers need no view yet; the sync publishes once instead of per Service. */
  private void publishIfSynced() {
    if (synced) {
      publishServices();
    }
  }

  private void publishServices() {
    List<KubeService> all = new ArrayList<>(services.values());
    all.sort(Comparator.comparing((KubeService s) -> s.service().hostname()));
    Map<String, List<KubeService>> byNs = new HashMap<>();
    all.forEach(s -> byNs.computeIfAbsent(s.name().namespace(), k -> new ArrayList<>()).add(s));
    byNs.replaceAll((k, v) -> List.copyOf(v));
    view = new ServicesView(all.stream().map(KubeService::service).toList(), Map.copyOf(byNs));
  }

  private void finish(KubePushPlan plan) {
    if (!synced) {
      return; // the sync's full push covers everything applied before it
    }
    plan.toRequest().ifPresent(request -> {
      try {
        pushes.accept(request);
      } catch (RuntimeException e) {
        log.error("push pipeline rejected {}", request, e);
      }
    });
  }

  private void notifyPodChange(PodInfo pod) {
    try {
      podChanges.accept(pod);
    } catch (RuntimeException e) {
      log.error("Pod change listener failed for {}/{}", pod.namespace(), pod.name(), e);
    }
  }

  private static Set<ObjectName> keys(Collection<? extends HasMetadata> objects) {
    Set<ObjectName> out = new HashSet<>();
    objects.forEach(o -> out.add(ObjectName.of(o)));
    return out;
  }
}

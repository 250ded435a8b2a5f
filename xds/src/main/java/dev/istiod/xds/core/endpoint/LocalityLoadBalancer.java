package dev.istiod.xds.core.endpoint;

import com.google.protobuf.UInt32Value;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import dev.istiod.model.Proxy;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Locality-aware load balancing relative to one proxy, as upstream's {@code loadbalancer}
 * package: {@code distribute} rewrites locality weights; failover assigns Envoy priorities
 * (0 = same region/zone/subzone as the proxy, 1 = same zone, 2 = same region, 3 = elsewhere,
 * 4 = a region the {@code failover} list does not name for the proxy's region);
 * {@code failoverPriority} first splits each locality by how many of the listed labels the
 * endpoint shares with the proxy. Priorities always end up numbered 0..N without gaps.
 *
 * <p>Failover only makes sense with outlier detection (otherwise Envoy never sees a priority
 * fail), so callers pass {@code enableFailover} = "the policy has outlier detection".
 */
public final class LocalityLoadBalancer {
  static final String REGION_LABEL = "topology.kubernetes.io/region";
  static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  static final String SUBZONE_LABEL = "topology.istio.io/subzone";
  static final String CLUSTER_LABEL = "topology.istio.io/cluster";
  static final String NETWORK_LABEL = "topology.istio.io/network";
  static final String HOSTNAME_LABEL = "kubernetes.io/hostname";
  /** {@code failoverPriority} entries may pin the proxy's value: {@code label=value}. */
  static final char OVERRIDE_SEPARATOR = '=';
  /** Locality failover uses at most 5 priorities (0..4) per failoverPriority level. */
  private static final int LOCALITY_LEVELS = 5;

  private LocalityLoadBalancer() {}

  /**
   * The setting in force, as upstream's {@code GetLocalityLbSetting}: the DestinationRule's when
   * it has one (none if it says {@code enabled: false}), else the mesh's (none if disabled).
   */
  public static Optional<LocalityLoadBalancerSetting> effectiveSetting(MeshConfig mesh, LoadBalancerSettings lb) {
    if (lb.hasLocalityLbSetting()) {
      LocalityLoadBalancerSetting dr = lb.getLocalityLbSetting();
      return dr.hasEnabled() && !dr.getEnabled().getValue() ? Optional.empty() : Optional.of(dr);
    }
    if (!mesh.hasLocalityLbSetting()) {
      return Optional.empty();
    }
    LocalityLoadBalancerSetting m = mesh.getLocalityLbSetting();
    return m.hasEnabled() && !m.getEnabled().getValue() ? Optional.empty() : Optional.of(m);
  }

  /**
   * True when the cluster should use Envoy's locality-weighted load balancing: with
   * {@code distribute}, or with explicit failover rules (only when failover is enabled).
   * Otherwise Envoy would let locality weights skew LEAST_REQUEST and friends.
   */
  public static boolean needsLocalityWeightedConfig(LocalityLoadBalancerSetting s, boolean enableFailover) {
    return s.getDistributeCount() > 0
        || (enableFailover && (s.getFailoverCount() > 0 || s.getFailoverPriorityCount() > 0));
  }

  /** The proxy's labels plus the topology labels upstream derives from its locality and metadata. */
  public static Map<String, String> proxyLabels(Proxy proxy, Locality l) {
    Map<String, String> out = new HashMap<>(proxy.labels());
    putIfNotEmpty(out, REGION_LABEL, l.region());
    putIfNotEmpty(out, ZONE_LABEL, l.zone());
    putIfNotEmpty(out, SUBZONE_LABEL, l.subzone());
    putIfNotEmpty(out, CLUSTER_LABEL, proxy.metadata().string("CLUSTER_ID"));
    putIfNotEmpty(out, HOSTNAME_LABEL, proxy.metadata().string("NODE_NAME"));
    String network = proxy.metadata().string("NETWORK");
    if (!network.isEmpty() && out.getOrDefault(NETWORK_LABEL, "").isEmpty()) {
      out.put(NETWORK_LABEL, network);
    }
    return out;
  }

  private static void putIfNotEmpty(Map<String, String> m, String k, String v) {
    if (!v.isEmpty()) {
      m.put(k, v);
    }
  }

  /**
   * The groups with weights or priorities for a proxy at {@code proxyLocality}. Only one of
   * {@code distribute} and failover applies; failover only when {@code enableFailover}.
   */
  public static List<LocalityLbEndpoints> apply(List<LocalityGroup> groups, Locality proxyLocality,
      Map<String, String> proxyLabels, LocalityLoadBalancerSetting setting, boolean enableFailover) {
    Work w = new Work(groups);
    if (setting.getDistributeCount() > 0) {
      applyWeights(w, proxyLocality, setting.getDistributeList());
    } else if (enableFailover) {
      if (setting.getFailoverPriorityCount() > 0) {
        applyFailoverPriorities(w, proxyLabels, setting.getFailoverPriorityList());
        if (setting.getFailoverCount() > 0) {
          applyLocalityFailover(w, proxyLocality, setting.getFailoverList());
        }
      } else {
        applyLocalityFailover(w, proxyLocality, setting.getFailoverList());
      }
    }
    return w.build();
  }

  /** Groups being rewritten: Envoy builders beside their source endpoints. */
  private static final class Work {
    List<LocalityLbEndpoints.Builder> envoy = new ArrayList<>();
    List<List<Endpoint>> sources = new ArrayList<>();
    List<Locality> localities = new ArrayList<>();

    Work(List<LocalityGroup> groups) {
      for (LocalityGroup g : groups) {
        envoy.add(g.envoy().toBuilder());
        sources.add(g.sources());
        localities.add(g.locality());
      }
    }

    List<LocalityLbEndpoints> build() {
      return envoy.stream().map(LocalityLbEndpoints.Builder::build).toList();
    }
  }

  /**
   * {@code distribute}: the first rule whose {@code from} matches the proxy gives each matching
   * destination locality its weight, shared among the groups a wildcard matches in proportion to
   * their own weights (rounded up); groups no destination matches lose their endpoints. A group
   * takes the first destination (in sorted order, for stable output) that matches it.
   */
  private static void applyWeights(Work w, Locality proxy, List<LocalityLoadBalancerSetting.Distribute> rules) {
    for (LocalityLoadBalancerSetting.Distribute rule : rules) {
      if (!matches(proxy, rule.getFrom())) {
        continue;
      }
      TreeSet<Integer> unmatched = new TreeSet<>();
      for (int i = 0; i < w.envoy.size(); i++) {
        unmatched.add(i);
      }
      for (Map.Entry<String, Integer> to : new TreeMap<>(rule.getToMap()).entrySet()) {
        Map<Integer, Long> original = new TreeMap<>();
        long total = 0;
        for (int i : List.copyOf(unmatched)) {
          if (matches(w.localities.get(i), to.getKey())) {
            unmatched.remove(i);
            long weight = w.envoy.get(i).hasLoadBalancingWeight()
                ? Integer.toUnsignedLong(w.envoy.get(i).getLoadBalancingWeight().getValue()) : 1;
            original.put(i, weight);
            total += weight;
          }
        }
        long share = Integer.toUnsignedLong(to.getValue());
        for (Map.Entry<Integer, Long> e : original.entrySet()) {
          double weight = total == 0 ? 0 : (double) (e.getValue() * share) / total;
          if (weight > 0) {
            w.envoy.get(e.getKey()).setLoadBalancingWeight(UInt32Value.of((int) Math.min(0xFFFFFFFFL, (long) Math.ceil(weight))));
          }
        }
      }
      for (int i : unmatched) {
        w.envoy.get(i).clearLbEndpoints();
        w.sources.set(i, List.of());
      }
      return;
    }
  }

  /**
   * Priorities by locality proximity (see the class comment), on top of priorities already set
   * by {@code failoverPriority}: each existing level is widened by five.
   */
  private static void applyLocalityFailover(Work w, Locality proxy, List<LocalityLoadBalancerSetting.Failover> failover) {
    List<Integer> priorities = new ArrayList<>();
    for (int i = 0; i < w.envoy.size(); i++) {
      Locality ep = w.localities.get(i);
      int priority = lbPriority(proxy, ep);
      if (priority == 3) {
        for (LocalityLoadBalancerSetting.Failover f : failover) {
          if (f.getFrom().equals(proxy.region())) {
            if (!ep.region().equals(f.getTo())) {
              priority = 4;
            }
            break;
          }
        }
      }
      int combined = w.envoy.get(i).getPriority() * LOCALITY_LEVELS + priority;
      w.envoy.get(i).setPriority(combined);
      priorities.add(combined);
    }
    compact(w.envoy, priorities);
  }

  /** 0: same region, zone and subzone; 1: same region and zone; 2: same region; 3: elsewhere. */
  static int lbPriority(Locality proxy, Locality endpoint) {
    if (proxy.region().equals(endpoint.region())) {
      if (proxy.zone().equals(endpoint.zone())) {
        return proxy.subzone().equals(endpoint.subzone()) ? 0 : 1;
      }
      return 2;
    }
    return 3;
  }

  /**
   * Splits each locality by how far down the {@code failoverPriority} list its endpoints agree
   * with the proxy: agreeing on every label is priority 0; first disagreeing on label j (of n)
   * is priority n - j. Does nothing for a proxy without labels, as upstream.
   */
  private static void applyFailoverPriorities(Work w, Map<String, String> proxyLabels, List<String> failoverPriority) {
    if (proxyLabels.isEmpty() || w.envoy.isEmpty()) {
      return;
    }
    List<String> labels = new ArrayList<>();
    Map<String, String> overrides = new HashMap<>();
    for (String entry : failoverPriority) {
      String[] parts = entry.split(String.valueOf(OVERRIDE_SEPARATOR), -1);
      labels.add(parts[0]);
      if (parts.length == 2) {
        overrides.put(parts[0], parts[1]);
      }
    }
    Work out = new Work(List.of());
    for (int g = 0; g < w.envoy.size(); g++) {
      TreeMap<Integer, List<Integer>> byPriority = new TreeMap<>();
      List<Endpoint> sources = w.sources.get(g);
      for (int i = 0; i < sources.size(); i++) {
        int priority = 0;
        for (int j = 0; j < labels.size(); j++) {
          String label = labels.get(j);
          String proxyValue = overrides.containsKey(label) ? overrides.get(label) : proxyLabels.getOrDefault(label, "");
          if (!proxyValue.equals(sources.get(i).labels().getOrDefault(label, ""))) {
            priority = labels.size() - j;
            break;
          }
        }
        byPriority.computeIfAbsent(priority, k -> new ArrayList<>()).add(i);
      }
      LocalityLbEndpoints.Builder original = w.envoy.get(g);
      for (Map.Entry<Integer, List<Integer>> e : byPriority.entrySet()) {
        LocalityLbEndpoints.Builder split = original.clone().clearLbEndpoints().setPriority(e.getKey());
        List<Endpoint> splitSources = new ArrayList<>();
        long weight = 0;
        for (int i : e.getValue()) {
          LbEndpoint ep = original.getLbEndpoints(i);
          split.addLbEndpoints(ep);
          splitSources.add(sources.get(i));
          weight = Math.min(0xFFFFFFFFL, weight + Integer.toUnsignedLong(ep.getLoadBalancingWeight().getValue()));
        }
        split.setLoadBalancingWeight(UInt32Value.of((int) weight));
        out.envoy.add(split);
        out.sources.add(splitSources);
        out.localities.add(w.localities.get(g));
      }
    }
    compact(out.envoy, out.envoy.stream().map(LocalityLbEndpoints.Builder::getPriority).toList());
    w.envoy = out.envoy;
    w.sources = out.sources;
    w.localities = out.localities;
  }

  /** Renumbers priorities to 0..N in their order, as Envoy requires no gaps. */
  private static void compact(List<LocalityLbEndpoints.Builder> groups, List<Integer> priorities) {
    List<Integer> distinct = new ArrayList<>(new TreeSet<>(priorities));
    for (int i = 0; i < groups.size(); i++) {
      groups.get(i).setPriority(distinct.indexOf(priorities.get(i)));
    }
  }

  /**
   * Upstream's {@code LocalityMatch}: {@code region[/zone[/subzone]]} with {@code *} matching
   * anything and omitted parts matching anything.
   */
  static boolean matches(Locality locality, String rule) {
    String[] parts = rule.split("/", -1);
    String region = parts[0];
    String zone = parts.length > 1 ? parts[1] : "";
    String subzone = parts.length > 2 ? parts[2] : "";
    return (region.equals("*") || region.equals(locality.region()))
        && (zone.equals("*") || zone.isEmpty() || zone.equals(locality.zone()))
        && (subzone.equals("*") || subzone.isEmpty() || subzone.equals(locality.subzone()));
  }
}

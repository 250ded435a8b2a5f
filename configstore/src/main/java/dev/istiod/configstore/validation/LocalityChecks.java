package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import dev.istiod.api.networking.v1alpha3.ZoneAwareLoadBalancerSetting;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Locality-weighted and zone-aware load balancing settings. */
final class LocalityChecks {
  private static final Set<String> TOPOLOGY_LABELS =
      Set.of("topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone");
  private static final String FAILOVER_NEEDS_OUTLIER = "outlier detection policy must be provided for failover";

  private LocalityChecks() {}

  static void localityLb(Issues issues, LocalityLoadBalancerSetting lb, boolean hasOutlier) {
    if (lb.getDistributeCount() > 0 && lb.getFailoverCount() > 0) {
      issues.error("can not simultaneously specify 'distribute' and 'failover'");
      return;
    }
    if (lb.getFailoverCount() > 0) {
      for (String label : lb.getFailoverPriorityList()) {
        if (TOPOLOGY_LABELS.contains(label)) {
          issues.error("can not simultaneously set 'failover' and topology label '" + label + "' in 'failover_priority'");
          return;
        }
      }
    }
    List<String> sources = new ArrayList<>();
    for (LocalityLoadBalancerSetting.Distribute d : lb.getDistributeList()) {
      sources.add(d.getFrom());
      long total = 0;
      for (int w : d.getToMap().values()) {
        if (w == 0 || Integer.compareUnsigned(w, 100) > 0) {
          issues.error("locality weight must be in range [1, 100]");
          return;
        }
        total += w;
      }
      if (total != 100) {
        issues.error("total locality weight " + total + " != 100");
        return;
      }
      issues.error(localities(new ArrayList<>(d.getToMap().keySet())));
    }
    issues.error(localities(sources));
    if ((lb.getFailoverCount() != 0 || lb.getFailoverPriorityCount() != 0) && !hasOutlier) {
      issues.warn(FAILOVER_NEEDS_OUTLIER);
    }
    for (LocalityLoadBalancerSetting.Failover f : lb.getFailoverList()) {
      if (f.getFrom().equals(f.getTo())) {
        issues.error("locality lb failover settings must specify different regions");
      }
      if (f.getFrom().contains("/") || f.getTo().contains("/")) {
        issues.error("locality lb failover only specify region");
      }
      if (f.getFrom().contains("*") || f.getTo().contains("*")) {
        issues.error("locality lb failover region should not contain '*' wildcard");
      }
    }
  }

  static void zoneAwareLb(Issues issues, ZoneAwareLoadBalancerSetting lb, boolean hasOutlier) {
    for (String label : lb.getFailoverPriorityList()) {
      if (TOPOLOGY_LABELS.contains(label)) {
        issues.error("'failover_priority' for zone aware lb must not use topology label '" + label
            + "'; region- and zone-level routing are handled automatically");
      }
    }
    if ((lb.getFailoverCount() != 0 || lb.getFailoverPriorityCount() != 0) && !hasOutlier) {
      issues.warn(FAILOVER_NEEDS_OUTLIER);
    }
    for (ZoneAwareLoadBalancerSetting.Failover f : lb.getFailoverList()) {
      if (f.getFrom().equals(f.getTo())) {
        issues.error("zone aware lb failover settings must specify different regions");
      }
      if (f.getFrom().contains("/") || f.getTo().contains("/")) {
        issues.error("zone aware lb failover only specifies region; zone and subzone failover are handled automatically");
      }
      if (f.getFrom().contains("*") || f.getTo().contains("*")) {
        issues.error("zone aware lb failover region should not contain '*' wildcard");
      }
    }
  }

  /** Localities {@code region[/zone[/subzone]]}, one trailing {@code *} at most, none overlapping. */
  private static Optional<String> localities(List<String> localities) {
    Map<String, Map<String, Map<String, Boolean>>> seen = new HashMap<>();
    for (String loc : localities) {
      long stars = loc.chars().filter(c -> c == '*').count();
      if (stars > 1 || (stars == 1 && !loc.endsWith("*"))) {
        return Optional.of("locality " + loc + " wildcard '*' number can not exceed 1 and must be in the end");
      }
      String overlap = "locality " + loc + " overlap with previous specified ones";
      if (seen.containsKey("*")) {
        return Optional.of(overlap);
      }
      String[] items = loc.split("/", 3);
      for (String item : items) {
        if (item.isEmpty()) {
          return Optional.of("locality " + loc + " must not contain empty region/zone/subzone info");
        }
      }
      String region = items[0];
      switch (items.length) {
        case 1 -> {
          if (seen.containsKey(region)) {
            return Optional.of(overlap);
          }
          seen.put(region, new HashMap<>(Map.of("*", new HashMap<>(Map.of("*", true)))));
        }
        case 2 -> {
          var zones = seen.get(region);
          if (zones != null) {
            if (zones.containsKey("*") || zones.containsKey(items[1])) {
              return Optional.of(overlap);
            }
            zones.put(items[1], new HashMap<>(Map.of("*", true)));
          } else {
            seen.put(region, new HashMap<>(Map.of(items[1], new HashMap<>(Map.of("*", true)))));
          }
        }
        default -> {
          var zones = seen.get(region);
          if (zones != null) {
            if (zones.containsKey("*")) {
              return Optional.of(overlap);
            }
            var subzones = zones.get(items[1]);
            if (subzones != null) {
              if (subzones.containsKey("*") || subzones.containsKey(items[2])) {
                return Optional.of(overlap);
              }
              subzones.put(items[2], true);
            } else {
              zones.put(items[1], new HashMap<>(Map.of(items[2], true)));
            }
          } else {
            seen.put(region, new HashMap<>(Map.of(items[1], new HashMap<>(Map.of(items[2], true)))));
          }
        }
      }
    }
    return Optional.empty();
  }
}

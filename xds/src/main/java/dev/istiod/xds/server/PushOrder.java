package dev.istiod.xds.server;

import dev.istiod.xds.TypeUrls;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The order in which types are pushed on one connection, as upstream: CDS, EDS, LDS, RDS, SDS,
 * the ambient types, then everything else by name. Clusters before their endpoints and listeners
 * before their routes, so a proxy never references something it has not been sent.
 */
final class PushOrder {
  private static final List<String> ORDER = List.of(
      TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE, TypeUrls.SECRET,
      "type.googleapis.com/istio.workload.Address",
      "type.googleapis.com/istio.workload.Workload",
      "type.googleapis.com/istio.security.Authorization");

  private static final Comparator<String> COMPARATOR = Comparator
      .comparingInt(PushOrder::rank)
      .thenComparing(Comparator.naturalOrder());

  private PushOrder() {}

  static List<String> sort(Collection<String> typeUrls) {
    List<String> sorted = new ArrayList<>(typeUrls);
    sorted.sort(COMPARATOR);
    return sorted;
  }

  private static int rank(String typeUrl) {
    int i = ORDER.indexOf(typeUrl);
    return i < 0 ? ORDER.size() : i;
  }
}

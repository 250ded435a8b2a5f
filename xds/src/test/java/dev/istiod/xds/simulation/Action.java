package dev.istiod.xds.simulation;

import java.util.List;
import java.util.Objects;

/** What Envoy does with a call once a filter chain (and, for HTTP, a route) is chosen. */
public sealed interface Action {
  /** The clusters this action forwards to, in configuration order (empty for local answers). */
  List<String> clusters();

  /** Nothing was decided: the call failed before an action (see the result's failure). */
  record None() implements Action {
    @Override
    public List<String> clusters() {
      return List.of();
    }
  }

  /** Forward to one cluster (route {@code cluster}, {@code cluster_header}, tcp_proxy, sni_cluster). */
  record Forward(String cluster) implements Action {
    public Forward {
      Objects.requireNonNull(cluster, "cluster");
    }

    @Override
    public List<String> clusters() {
      return List.of(cluster);
    }
  }

  /** Split across clusters by weight. */
  record Split(List<WeightedCluster> weighted) implements Action {
    public Split {
      weighted = List.copyOf(weighted);
    }

    @Override
    public List<String> clusters() {
      return weighted.stream().map(WeightedCluster::cluster).toList();
    }
  }

  /** One destination of a {@link Split}. */
  record WeightedCluster(String cluster, int weight) {}

  /**
   * An HTTP redirect. {@code location} is the URL Envoy would send, built from the redirect's
   * scheme, host, port and path rewrites over the request's.
   */
  record Redirect(int status, String location) implements Action {
    @Override
    public List<String> clusters() {
      return List.of();
    }
  }

  /** A local HTTP answer ({@code direct_response}). */
  record DirectResponse(int status, String body) implements Action {
    @Override
    public List<String> clusters() {
      return List.of();
    }
  }
}

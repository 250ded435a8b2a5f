package dev.istiod.xds.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/** Reads one metric value from a registry, for assertions. */
final class Metrics {
  private Metrics() {}

  /** The value (histograms: the count) of the data point with these label pairs, or 0. */
  static double value(PrometheusRegistry registry, String name, String... labelPairs) {
    for (MetricSnapshot s : registry.scrape()) {
      if (!s.getMetadata().getName().equals(name)) {
        continue;
      }
      for (DataPointSnapshot p : s.getDataPoints()) {
        if (matches(p, labelPairs)) {
          return switch (p) {
            case CounterSnapshot.CounterDataPointSnapshot c -> c.getValue();
            case GaugeSnapshot.GaugeDataPointSnapshot g -> g.getValue();
            case HistogramSnapshot.HistogramDataPointSnapshot h -> h.getCount();
            default -> throw new IllegalArgumentException("unsupported " + p);
          };
        }
      }
    }
    return 0;
  }

  private static boolean matches(DataPointSnapshot p, String... labelPairs) {
    for (int i = 0; i < labelPairs.length; i += 2) {
      if (!labelPairs[i + 1].equals(p.getLabels().get(labelPairs[i]))) {
        return false;
      }
    }
    return true;
  }
}

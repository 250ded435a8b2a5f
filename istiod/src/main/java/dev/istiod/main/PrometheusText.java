package dev.istiod.main;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * Renders metrics in the Prometheus text format with the exact names they were registered
 * under. Upstream istiod's exporter adds no {@code _total} suffix to counters
 * ({@code pilot_total_xds_rejects}, {@code pilot_xds_pushes}), and dashboards query those names,
 * so the client library's writer (which appends {@code _total}) cannot be used as is.
 */
final class PrometheusText {
  private PrometheusText() {}

  static String render(MetricSnapshots snapshots) {
    StringBuilder out = new StringBuilder();
    for (MetricSnapshot snapshot : snapshots) {
      String name = snapshot.getMetadata().getPrometheusName();
      String help = snapshot.getMetadata().getHelp();
      if (help != null && !help.isEmpty()) {
        out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
      }
      if (snapshot instanceof CounterSnapshot c) {
        out.append("# TYPE ").append(name).append(" counter\n");
        for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
          sample(out, name, p.getLabels(), p.getValue());
        }
      } else if (snapshot instanceof GaugeSnapshot g) {
        out.append("# TYPE ").append(name).append(" gauge\n");
        for (GaugeSnapshot.GaugeDataPointSnapshot p : g.getDataPoints()) {
          sample(out, name, p.getLabels(), p.getValue());
        }
      } else if (snapshot instanceof HistogramSnapshot h) {
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (HistogramSnapshot.HistogramDataPointSnapshot p : h.getDataPoints()) {
          long cumulative = 0;
          for (ClassicHistogramBucket b : p.getClassicBuckets()) {
            cumulative += b.getCount();
            String le = Double.isInfinite(b.getUpperBound()) ? "+Inf" : number(b.getUpperBound());
            sample(out, name + "_bucket", p.getLabels().add("le", le), cumulative);
          }
          sample(out, name + "_sum", p.getLabels(), p.getSum());
          sample(out, name + "_count", p.getLabels(), p.getCount());
        }
      } else {
        for (DataPointSnapshot p : snapshot.getDataPoints()) {
          out.append("# unsupported metric type for ").append(name).append(": ").append(p.getClass().getSimpleName()).append('\n');
        }
      }
    }
    return out.toString();
  }

  private static void sample(StringBuilder out, String name, Labels labels, double value) {
    out.append(name);
    if (!labels.isEmpty()) {
      out.append('{');
      boolean first = true;
      for (Label l : labels) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(l.getName()).append("=\"")
            .append(l.getValue().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append('"');
      }
      out.append('}');
    }
    out.append(' ').append(number(value)).append('\n');
  }

  private static String number(double v) {
    if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }
}

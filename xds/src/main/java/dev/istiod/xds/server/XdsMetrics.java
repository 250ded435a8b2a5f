package dev.istiod.xds.server;

import dev.istiod.model.TriggerReason;
import dev.istiod.xds.TypeUrls;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Set;

/**
 * The push pipeline's metrics, with upstream's names, labels and buckets (ISTIO-COMPAT §7).
 * Counters are registered under upstream's exact names; upstream exports them without an added
 * {@code _total} suffix, so the exposition must not add one either.
 */
final class XdsMetrics {
  private static final double[] PUSH_BUCKETS = {.01, .1, 1, 3, 5, 10, 20, 30};
  private static final double[] CONVERGENCE_BUCKETS = {.1, .5, 1, 3, 5, 10, 20, 30};

  private final Gauge xdsClients;
  private final Counter pushes;
  private final Histogram pushTime;
  private final Counter totalRejects;
  private final Gauge cdsReject;
  private final Gauge edsReject;
  private final Gauge ldsReject;
  private final Gauge rdsReject;
  private final Counter expiredNonce;
  private final Counter pushTriggers;
  private final Histogram convergence;
  private final Histogram queueTime;
  private final Histogram debounceTime;
  private final Histogram pushContextInit;
  private final Counter inboundUpdates;
  private final Counter internalErrors;
  private final Histogram sendTime;
  private final Histogram configSize;

  XdsMetrics(PrometheusRegistry registry) {
    xdsClients = Gauge.builder().name("pilot_xds")
        .help("Number of endpoints connected to this pilot using XDS.").labelNames("version").register(registry);
    pushes = Counter.builder().name("pilot_xds_pushes")
        .help("Pilot build and send errors for lds, rds, cds and eds.").labelNames("type").register(registry);
    pushTime = histogram(registry, "pilot_xds_push_time",
        "Total time in seconds Pilot takes to push lds, rds, cds and eds.", PUSH_BUCKETS, "type");
    totalRejects = Counter.builder().name("pilot_total_xds_rejects")
        .help("Total number of XDS responses from pilot rejected by proxy.").labelNames("type").register(registry);
    cdsReject = rejectGauge(registry, "cds", "CDS configs");
    edsReject = rejectGauge(registry, "eds", "EDS");
    ldsReject = rejectGauge(registry, "lds", "LDS");
    rdsReject = rejectGauge(registry, "rds", "RDS");
    expiredNonce = Counter.builder().name("pilot_xds_expired_nonce")
        .help("Total number of XDS requests with an expired nonce.").labelNames("type").register(registry);
    pushTriggers = Counter.builder().name("pilot_push_triggers")
        .help("Total number of times a push was triggered, labeled by reason for the push.")
        .labelNames("type").register(registry);
    convergence = histogram(registry, "pilot_proxy_convergence_time",
        "Delay in seconds between config change and a proxy receiving all required configuration.",
        CONVERGENCE_BUCKETS);
    queueTime = histogram(registry, "pilot_proxy_queue_time",
        "Time in seconds, a proxy is in the push queue before being dequeued.", CONVERGENCE_BUCKETS);
    debounceTime = histogram(registry, "pilot_debounce_time",
        "Delay in seconds between the first config enters debouncing and the merged push request is pushed "
            + "into the push queue.", PUSH_BUCKETS);
    pushContextInit = histogram(registry, "pilot_pushcontext_init_seconds",
        "Total time in seconds Pilot takes to init pushContext.", new double[] {.01, .1, .5, 1, 3, 5});
    inboundUpdates = Counter.builder().name("pilot_inbound_updates")
        .help("Total number of updates received by pilot.").labelNames("type").register(registry);
    internalErrors = Counter.builder().name("pilot_total_xds_internal_errors")
        .help("Total number of internal XDS errors in pilot.").register(registry);
    sendTime = histogram(registry, "pilot_xds_send_time",
        "Total time in seconds Pilot takes to send generated configuration.", PUSH_BUCKETS);
    configSize = histogram(registry, "pilot_xds_config_size_bytes",
        "Distribution of configuration sizes pushed to clients", new double[] {1, 10000, 1000000, 4000000,
            10000000, 40000000}, "type");
  }

  private static Histogram histogram(PrometheusRegistry r, String name, String help, double[] buckets,
      String... labels) {
    return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(buckets)
        .labelNames(labels).register(r);
  }

  /**
   * Upstream's push-status gauges of listener conflicts, read from the current push context: how many
   * listeners (outbound) or proxies (inbound) had services colliding on them in this push.
   */
  void exportPushStatus(java.util.function.Supplier<dev.istiod.model.PushContext> current, PrometheusRegistry registry) {
    pushStatusGauge(registry, current, "pilot_conflict_outbound_listener_tcp_over_current_tcp",
        "Number of conflicting tcp listeners with current tcp listener.");
    pushStatusGauge(registry, current, "pilot_conflict_inbound_listener", "Number of conflicting inbound listeners.");
  }

  private static void pushStatusGauge(PrometheusRegistry registry, java.util.function.Supplier<dev.istiod.model.PushContext> current,
      String name, String help) {
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name(name).help(help)
        .callback(cb -> {
          dev.istiod.model.PushContext ctx = current.get();
          cb.call(ctx == null ? 0 : ctx.status().count(name));
        })
        .register(registry);
  }

  private static Gauge rejectGauge(PrometheusRegistry r, String type, String what) {
    return Gauge.builder().name("pilot_xds_" + type + "_reject").help("Pilot rejected " + what + ".")
        .labelNames("node", "err").register(r);
  }

  void connected(String istioVersion) {
    xdsClients.labelValues(istioVersion).inc();
  }

  void disconnected(String istioVersion) {
    xdsClients.labelValues(istioVersion).dec();
  }

  void pushed(String typeUrl, Duration took, long bytes) {
    String type = TypeUrls.shortName(typeUrl);
    pushes.labelValues(type).inc();
    pushTime.labelValues(type).observe(seconds(took));
    configSize.labelValues(type).observe(bytes);
  }

  void rejected(String typeUrl, String proxyId, int grpcCode) {
    totalRejects.labelValues(TypeUrls.shortName(typeUrl)).inc();
    Gauge perType = switch (typeUrl) {
      case TypeUrls.CLUSTER -> cdsReject;
      case TypeUrls.ENDPOINT -> edsReject;
      case TypeUrls.LISTENER -> ldsReject;
      case TypeUrls.ROUTE -> rdsReject;
      default -> null;
    };
    if (perType != null) {
      perType.labelValues(proxyId, goCodeName(grpcCode)).inc();
    }
  }

  void expiredNonce(String typeUrl) {
    expiredNonce.labelValues(TypeUrls.shortName(typeUrl)).inc();
  }

  void pushTriggered(Set<TriggerReason> reasons) {
    for (TriggerReason r : reasons) {
      pushTriggers.labelValues(r.label()).inc();
    }
  }

  void converged(Duration sinceChange) {
    convergence.observe(seconds(sinceChange));
  }

  void queued(Duration inQueue) {
    queueTime.observe(seconds(inQueue));
  }

  void debounced(Duration took) {
    debounceTime.observe(seconds(took));
  }

  void pushContextBuilt(Duration took) {
    pushContextInit.observe(seconds(took));
  }

  void inboundUpdate(boolean endpointsOnly) {
    inboundUpdates.labelValues(endpointsOnly ? "eds" : "config").inc();
  }

  void internalError() {
    internalErrors.inc();
  }

  void sent(Duration took) {
    sendTime.observe(seconds(took));
  }

  private static double seconds(Duration d) {
    return Math.max(0, d.toNanos()) / 1e9;
  }

  /** The {@code err} label as upstream writes it: Go's gRPC code names ("Internal", "InvalidArgument"). */
  static String goCodeName(int code) {
    Status.Code c = Status.fromCodeValue(code).getCode();
    if (c.value() != code) {
      return "Code(" + code + ")";
    }
    return switch (c) {
      case OK -> "OK";
      case CANCELLED -> "Canceled";
      default -> {
        StringBuilder sb = new StringBuilder();
        for (String word : c.name().split("_")) {
          sb.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        yield sb.toString();
      }
    };
  }
}

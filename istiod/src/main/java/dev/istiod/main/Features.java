package dev.istiod.main;

import dev.istiod.model.GoDuration;
import java.time.Duration;
import java.util.Map;

/**
 * Environment knobs, with upstream istiod's names and defaults (pilot/pkg/features). The one
 * place that reads them; everything else receives this record.
 *
 * @param debounceAfter PILOT_DEBOUNCE_AFTER: quiet period before a push (100ms)
 * @param debounceMax PILOT_DEBOUNCE_MAX: longest a push is delayed by debouncing (10s)
 * @param enableEdsDebounce PILOT_ENABLE_EDS_DEBOUNCE: endpoint-only changes are debounced too (true)
 * @param pushThrottle PILOT_PUSH_THROTTLE: concurrent proxy pushes; 0 means min(15 + 5 × cores, 100)
 * @param maxConcurrentStreams ISTIO_GPRC_MAXSTREAMS (100000)
 * @param maxRecvMsgSize ISTIO_GPRC_MAXRECVMSGSIZE in bytes (4 MiB)
 * @param keepaliveInterval GRPC_KEEPALIVE_INTERVAL (30s)
 * @param keepaliveTimeout GRPC_KEEPALIVE_TIMEOUT (10s)
 * @param podName POD_NAME, the instance id in debug output
 * @param podNamespace POD_NAMESPACE, istiod's own namespace (istio-system)
 * @param revision REVISION (default)
 * @param enableDebugOnHttp ENABLE_DEBUG_ON_HTTP: serve /debug on the HTTP port (true)
 */
record Features(
    Duration debounceAfter,
    Duration debounceMax,
    boolean enableEdsDebounce,
    int pushThrottle,
    int maxConcurrentStreams,
    int maxRecvMsgSize,
    Duration keepaliveInterval,
    Duration keepaliveTimeout,
    String podName,
    String podNamespace,
    String revision,
    boolean enableDebugOnHttp) {

  static Features fromEnvironment(Map<String, String> env) {
    Reader r = new Reader(env);
    int throttle = r.integer("PILOT_PUSH_THROTTLE", 0);
    if (throttle <= 0) {
      throttle = Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100);
    }
    return new Features(
        r.duration("PILOT_DEBOUNCE_AFTER", Duration.ofMillis(100)),
        r.duration("PILOT_DEBOUNCE_MAX", Duration.ofSeconds(10)),
        r.bool("PILOT_ENABLE_EDS_DEBOUNCE", true),
        throttle,
        r.integer("ISTIO_GPRC_MAXSTREAMS", 100000),
        r.integer("ISTIO_GPRC_MAXRECVMSGSIZE", 4 * 1024 * 1024),
        r.duration("GRPC_KEEPALIVE_INTERVAL", Duration.ofSeconds(30)),
        r.duration("GRPC_KEEPALIVE_TIMEOUT", Duration.ofSeconds(10)),
        r.string("POD_NAME", "istiod"),
        r.string("POD_NAMESPACE", "istio-system"),
        r.string("REVISION", "default"),
        r.bool("ENABLE_DEBUG_ON_HTTP", true));
  }

  /** Reads typed values, failing with the variable's name on bad input. */
  private record Reader(Map<String, String> env) {
    String string(String name, String def) {
      String v = env.get(name);
      return v == null || v.isEmpty() ? def : v;
    }

    Duration duration(String name, Duration def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        return GoDuration.parse(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid value for " + name + ": " + e.getMessage(), e);
      }
    }

    boolean bool(String name, boolean def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      return switch (v.toLowerCase(java.util.Locale.ROOT)) {
        case "1", "t", "true" -> true;
        case "0", "f", "false" -> false;
        default -> throw new IllegalArgumentException("invalid value for " + name + ": \"" + v + "\" is not a boolean");
      };
    }

    int integer(String name, int def) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid value for " + name + ": \"" + v + "\" is not an integer", e);
      }
    }
  }
}

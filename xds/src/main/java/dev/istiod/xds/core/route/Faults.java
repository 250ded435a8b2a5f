package dev.istiod.xds.core.route;

import com.google.protobuf.Any;
import dev.istiod.api.networking.v1alpha3.HTTPFaultInjection;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fault injection as upstream's {@code TranslateFault}: the route enables the (otherwise empty)
 * {@code envoy.filters.http.fault} filter through {@code typed_per_filter_config}. A delay is a
 * fixed delay for {@code percentage} (else the deprecated integer {@code percent}) of requests; an
 * abort answers with an HTTP status or a gRPC status for {@code percentage} of requests (none when
 * it is left out, as in Envoy). Exponential delays and HTTP/2 errors are not supported upstream
 * either and are left out with a warning.
 */
final class Faults {
  private static final Logger log = LoggerFactory.getLogger(Faults.class);

  /** gRPC status names Istio accepts (grpc-go's codes), by number. */
  static final Map<String, Integer> GRPC_STATUS = Map.ofEntries(
      Map.entry("OK", 0), Map.entry("CANCELLED", 1), Map.entry("UNKNOWN", 2), Map.entry("INVALID_ARGUMENT", 3),
      Map.entry("DEADLINE_EXCEEDED", 4), Map.entry("NOT_FOUND", 5), Map.entry("ALREADY_EXISTS", 6),
      Map.entry("PERMISSION_DENIED", 7), Map.entry("RESOURCE_EXHAUSTED", 8), Map.entry("FAILED_PRECONDITION", 9),
      Map.entry("ABORTED", 10), Map.entry("OUT_OF_RANGE", 11), Map.entry("UNIMPLEMENTED", 12),
      Map.entry("INTERNAL", 13), Map.entry("UNAVAILABLE", 14), Map.entry("DATA_LOSS", 15),
      Map.entry("UNAUTHENTICATED", 16));

  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.http().hasFault()) {
      translate(ctx.http().getFault()).ifPresent(f -> route.putTypedPerFilterConfig(Filters.FAULT, Any.pack(f)));
    }
  };

  private Faults() {}

  static Optional<HTTPFault> translate(HTTPFaultInjection in) {
    HTTPFault.Builder out = HTTPFault.newBuilder();
    if (in.hasDelay()) {
      HTTPFaultInjection.Delay d = in.getDelay();
      if (d.getHttpDelayTypeCase() == HTTPFaultInjection.Delay.HttpDelayTypeCase.FIXED_DELAY) {
        out.setDelay(FaultDelay.newBuilder()
            .setFixedDelay(d.getFixedDelay())
            .setPercentage(d.hasPercentage() ? Mirrors.millionths(d.getPercentage()) : Mirrors.percentOf100(d.getPercent())));
      } else {
        log.warn("exponential fault delays are not supported; delay left out");
      }
    }
    if (in.hasAbort()) {
      HTTPFaultInjection.Abort a = in.getAbort();
      FaultAbort.Builder abort = FaultAbort.newBuilder();
      if (a.hasPercentage()) {
        abort.setPercentage(Mirrors.millionths(a.getPercentage()));
      }
      switch (a.getErrorTypeCase()) {
        case HTTP_STATUS -> out.setAbort(abort.setHttpStatus(a.getHttpStatus()));
        case GRPC_STATUS -> {
          Integer code = GRPC_STATUS.get(a.getGrpcStatus());
          if (code != null) {
            out.setAbort(abort.setGrpcStatus(code));
          } else {
            log.warn("unknown gRPC status {} in fault abort; abort left out", a.getGrpcStatus());
          }
        }
        default -> log.warn("only HTTP and gRPC status aborts are supported; abort left out");
      }
    }
    return out.hasDelay() || out.hasAbort() ? Optional.of(out.build()) : Optional.empty();
  }
}

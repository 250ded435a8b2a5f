package dev.istiod.xds.core.cluster;

import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.OutlierDetection;
import io.envoyproxy.envoy.type.v3.Percent;

/**
 * {@code outlierDetection} as upstream's {@code applyOutlierDetection}: consecutive 5xx and
 * gateway errors eject at 100% enforcement when their threshold is positive (a zero threshold
 * turns that detector off), success-rate ejection is always off, local-origin failures count
 * separately only when split, and the healthy panic threshold becomes {@code minHealthPercent}
 * (0 by default: with few pods per service, Envoy's 50% panic mode would send traffic to
 * ejected hosts).
 */
final class OutlierDetections {
  private static final int ENFORCE_ALWAYS = 100;

  static final TrafficPolicyContributor OUTLIER_DETECTION = (ctx, d) -> {
    if (ctx.policy().hasOutlierDetection()) {
      apply(ctx.policy().getOutlierDetection(), d);
    }
  };

  private OutlierDetections() {}

  static void apply(OutlierDetection in, ClusterDraft d) {
    io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.Builder out =
        io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
            .setEnforcingSuccessRate(UInt32Value.of(0));
    if (in.hasConsecutive5XxErrors()) {
      int v = in.getConsecutive5XxErrors().getValue();
      out.setConsecutive5Xx(UInt32Value.of(v)).setEnforcingConsecutive5Xx(UInt32Value.of(v > 0 ? ENFORCE_ALWAYS : 0));
    }
    if (in.hasConsecutiveGatewayErrors()) {
      int v = in.getConsecutiveGatewayErrors().getValue();
      out.setConsecutiveGatewayFailure(UInt32Value.of(v))
          .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(v > 0 ? ENFORCE_ALWAYS : 0));
    }
    if (in.hasInterval()) {
      out.setInterval(in.getInterval());
    }
    if (in.hasBaseEjectionTime()) {
      out.setBaseEjectionTime(in.getBaseEjectionTime());
    }
    if (in.getMaxEjectionPercent() > 0) {
      out.setMaxEjectionPercent(UInt32Value.of(in.getMaxEjectionPercent()));
    }
    if (in.getSplitExternalLocalOriginErrors()) {
      out.setSplitExternalLocalOriginErrors(true);
      if (in.getConsecutiveLocalOriginFailures().getValue() > 0) {
        out.setConsecutiveLocalOriginFailure(UInt32Value.of(in.getConsecutiveLocalOriginFailures().getValue()))
            .setEnforcingConsecutiveLocalOriginFailure(UInt32Value.of(ENFORCE_ALWAYS));
      }
      out.setEnforcingLocalOriginSuccessRate(UInt32Value.of(0));
    }
    d.cluster().setOutlierDetection(out);
    if (in.getMinHealthPercent() >= 0) {
      d.cluster().getCommonLbConfigBuilder()
          .setHealthyPanicThreshold(Percent.newBuilder().setValue(in.getMinHealthPercent()));
    }
  }
}

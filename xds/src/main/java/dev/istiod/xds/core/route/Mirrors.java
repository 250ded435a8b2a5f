package dev.istiod.xds.core.route;

import com.google.protobuf.BoolValue;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPMirrorPolicy;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.Percent;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.Optional;

/**
 * Traffic mirroring as upstream's {@code MirrorPercent}/{@code MirrorPercentByPolicy}: the
 * deprecated single {@code mirror} (with {@code mirrorPercentage}, else the older integer
 * {@code mirrorPercent}, else 100%) first, then each of {@code mirrors}; an explicit 0% mirrors
 * nothing. Envoy sends the copy fire-and-forget with {@code -shadow} appended to the host.
 */
final class Mirrors {
  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.answersDirectly()) {
      return;
    }
    RouteAction.Builder action = route.getRouteBuilder();
    HTTPRoute http = ctx.http();
    if (http.hasMirror()) {
      legacyPercent(http).ifPresent(p -> action.addRequestMirrorPolicies(policy(http.getMirror(), p, ctx)));
    }
    for (HTTPMirrorPolicy m : http.getMirrorsList()) {
      if (m.hasDestination()) {
        percent(m.hasPercentage() ? m.getPercentage() : null)
            .ifPresent(p -> action.addRequestMirrorPolicies(policy(m.getDestination(), p, ctx)));
      }
    }
  };

  private Mirrors() {}

  private static RouteAction.RequestMirrorPolicy policy(Destination d, RuntimeFractionalPercent percent,
      RouteContributor.Context ctx) {
    return RouteAction.RequestMirrorPolicy.newBuilder()
        .setCluster(Destinations.cluster(d, ctx))
        .setRuntimeFraction(percent)
        .setTraceSampled(BoolValue.of(false))
        .build();
  }

  private static Optional<RuntimeFractionalPercent> legacyPercent(HTTPRoute http) {
    if (http.hasMirrorPercentage()) {
      return percent(http.getMirrorPercentage());
    }
    if (http.hasMirrorPercent()) {
      int p = http.getMirrorPercent().getValue();
      return p > 0 ? Optional.of(hundredths(p)) : Optional.empty();
    }
    return Optional.of(hundredths(100));
  }

  /** Empty for an explicit 0%; 100% when no percentage is given. */
  static Optional<RuntimeFractionalPercent> percent(Percent p) {
    if (p == null) {
      return Optional.of(hundredths(100));
    }
    return p.getValue() > 0 ? Optional.of(RuntimeFractionalPercent.newBuilder()
        .setDefaultValue(millionths(p)).build()) : Optional.empty();
  }

  /** A {@code Percent} (0–100, fractional) as parts per million, as upstream. */
  static FractionalPercent millionths(Percent p) {
    return FractionalPercent.newBuilder().setNumerator((int) (p.getValue() * 10000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION).build();
  }

  static FractionalPercent percentOf100(int p) {
    return FractionalPercent.newBuilder().setNumerator(p).setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
  }

  private static RuntimeFractionalPercent hundredths(int p) {
    return RuntimeFractionalPercent.newBuilder().setDefaultValue(percentOf100(p)).build();
  }
}

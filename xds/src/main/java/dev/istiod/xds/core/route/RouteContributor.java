package dev.istiod.xds.core.route;

import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.model.Config;
import dev.istiod.model.Service;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.route.v3.Route;
import java.util.Optional;
import java.util.function.Function;

/**
 * One HTTP feature's part of translating a VirtualService HTTP route into an Envoy route.
 * {@link HttpRouteTranslator#CONTRIBUTORS} runs them in a fixed order on a route whose name,
 * match and metadata are already set; each reads the Istio route and fills its own fields.
 */
@FunctionalInterface
public interface RouteContributor {
  /**
   * The route being translated.
   *
   * @param match the match condition this Envoy route is for; null for a route without matches
   * @param scope the listener port, gateway names and transport the routes are built for
   * @param services the services visible on this route configuration, by hostname
   */
  record Context(ProxyInputs inputs, Config virtualService, HTTPRoute http, HTTPMatchRequest match, RouteScope scope,
      Function<String, Optional<Service>> services) {

    /** True when the route answers itself (redirect or direct response) instead of forwarding. */
    public boolean answersDirectly() {
      return http.hasRedirect() || http.hasDirectResponse();
    }

    public int listenerPort() {
      return scope.listenerPort();
    }
  }

  void contribute(Context ctx, Route.Builder route);
}

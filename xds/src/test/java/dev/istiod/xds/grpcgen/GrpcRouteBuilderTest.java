package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPDirectResponse;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GrpcRouteBuilderTest {
  private static final String HOST = "echo.default.svc.cluster.local";
  private static final String ROUTE_NAME = "outbound|7070||" + HOST;
  private static final Service ECHO = new Service(HOST, "default", List.of("10.96.0.10"),
      List.of(new ServicePort("grpc", 7070, Protocol.GRPC)), Resolution.CLIENT_SIDE_LB, false, null, null, null,
      Service.Registry.SERVICE_ENTRY, null);
  private static final GrpcRouteBuilder.Context CTX = new GrpcRouteBuilder.Context(
      TestProxies.grpcClient(), h -> h.equals(HOST) ? Optional.of(ECHO) : Optional.empty(), "cluster.local");

  @Test
  void build_withoutVirtualService_routesEverythingToTheServiceCluster() {
    RouteConfiguration rc = GrpcRouteBuilder.build(ROUTE_NAME, ECHO, 7070, List.of(), CTX);

    assertThat(rc.getName()).isEqualTo(ROUTE_NAME);
    VirtualHost vh = rc.getVirtualHosts(0);
    assertThat(vh.getDomainsList()).contains(HOST + ":7070", "echo:7070", "echo.default:7070", "10.96.0.10:7070");
    assertThat(vh.getRoutesList()).singleElement().satisfies(r -> {
      assertThat(r.getMatch().getPrefix()).isEqualTo("/");
      assertThat(r.getRoute().getCluster()).isEqualTo(ROUTE_NAME);
    });
  }

  @Test
  void build_headerMatchAndSubsets_becomeOrderedRoutesToSubsetClusters() {
    Config vs = virtualService(
        HTTPRoute.newBuilder().setName("jason")
            .addMatch(HTTPMatchRequest.newBuilder()
                .putHeaders("x-user", StringMatch.newBuilder().setExact("jason").build()))
            .addRoute(dest("v2", 0)).build(),
        HTTPRoute.newBuilder().addRoute(dest("v1", 0)).build());

    List<Route> routes = GrpcRouteBuilder.build(ROUTE_NAME, ECHO, 7070, List.of(vs), CTX).getVirtualHosts(0).getRoutesList();

    assertThat(routes).hasSize(2);
    assertThat(routes.get(0).getName()).isEqualTo("jason");
    assertThat(routes.get(0).getMatch().getHeaders(0).getName()).isEqualTo("x-user");
    assertThat(routes.get(0).getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("jason");
    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo("outbound|7070|v2|" + HOST);
    assertThat(routes.get(1).getMatch().getPrefix()).isEqualTo("/");
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo("outbound|7070|v1|" + HOST);
  }

  @Test
  void build_severalDestinations_becomeWeightedClusters_withoutZeroWeights() {
    Config vs = virtualService(HTTPRoute.newBuilder()
        .addRoute(dest("v1", 80)).addRoute(dest("v2", 20)).addRoute(dest("v3", 0)).build());

    Route r = GrpcRouteBuilder.build(ROUTE_NAME, ECHO, 7070, List.of(vs), CTX).getVirtualHosts(0).getRoutes(0);

    assertThat(r.getRoute().getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly("outbound|7070|v1|" + HOST + "=80", "outbound|7070|v2|" + HOST + "=20");
  }

  @Test
  void build_directResponseRoute_isLeftOut_becauseGrpcWouldRejectTheWholeConfig() {
    Config vs = virtualService(
        HTTPRoute.newBuilder().addMatch(HTTPMatchRequest.newBuilder()
                .setUri(StringMatch.newBuilder().setPrefix("/health")))
            .setDirectResponse(HTTPDirectResponse.newBuilder().setStatus(200)).build(),
        HTTPRoute.newBuilder().addRoute(dest("v1", 0)).build());

    List<Route> routes = GrpcRouteBuilder.build(ROUTE_NAME, ECHO, 7070, List.of(vs), CTX).getVirtualHosts(0).getRoutesList();

    assertThat(routes).singleElement().satisfies(r -> {
      assertThat(r.hasRoute()).isTrue();
      assertThat(r.getRoute().getCluster()).isEqualTo("outbound|7070|v1|" + HOST);
    });
  }

  @Test
  void build_matchOnAnotherPort_isSkipped() {
    Config vs = virtualService(
        HTTPRoute.newBuilder().addMatch(HTTPMatchRequest.newBuilder().setPort(8080)).addRoute(dest("v2", 0)).build(),
        HTTPRoute.newBuilder().addRoute(dest("v1", 0)).build());

    List<Route> routes = GrpcRouteBuilder.build(ROUTE_NAME, ECHO, 7070, List.of(vs), CTX).getVirtualHosts(0).getRoutesList();

    assertThat(routes).extracting(r -> r.getRoute().getCluster()).containsExactly("outbound|7070|v1|" + HOST);
  }

  private static HTTPRouteDestination dest(String subset, int weight) {
    return HTTPRouteDestination.newBuilder()
        .setDestination(Destination.newBuilder().setHost(HOST).setSubset(subset))
        .setWeight(weight).build();
  }

  private static Config virtualService(HTTPRoute... routes) {
    VirtualService vs = VirtualService.newBuilder().addHosts(HOST).addAllHttp(List.of(routes)).build();
    return new Config(Kind.VIRTUAL_SERVICE, ConfigMeta.of("default", "echo"), vs);
  }
}

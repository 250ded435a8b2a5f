package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.Delegate;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.api.networking.v1alpha3.StringMatch;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtualServiceDelegatesTest {
  static StringMatch prefix(String p) {
    return StringMatch.newBuilder().setPrefix(p).build();
  }

  static StringMatch exact(String e) {
    return StringMatch.newBuilder().setExact(e).build();
  }

  static HTTPMatchRequest uri(StringMatch m) {
    return HTTPMatchRequest.newBuilder().setUri(m).build();
  }

  static HTTPRoute to(String name, String subset, HTTPMatchRequest... matches) {
    return HTTPRoute.newBuilder().setName(name).addAllMatch(List.of(matches))
        .addRoute(HTTPRouteDestination.newBuilder().setDestination(Destination.newBuilder()
            .setHost("reviews.default.svc.cluster.local").setSubset(subset)))
        .build();
  }

  static Config vs(String ns, String name, VirtualService spec) {
    return new Config(Kind.VIRTUAL_SERVICE, ConfigMeta.of(ns, name), spec);
  }

  @Test
  void conflicts_delegateMatchNarrowingTheRootPrefix_noConflict() {
    assertThat(VirtualServiceDelegates.conflicts(prefix("/a"), prefix("/a/b"))).isFalse();
    assertThat(VirtualServiceDelegates.conflicts(prefix("/a"), exact("/a/x"))).isFalse();
    assertThat(VirtualServiceDelegates.conflicts(exact("/a"), exact("/a"))).isFalse();
    assertThat(VirtualServiceDelegates.conflicts(null, prefix("/z"))).isFalse();
  }

  @Test
  void conflicts_delegateMatchOutsideOrContradictingTheRoot_conflict() {
    assertThat(VirtualServiceDelegates.conflicts(prefix("/a/b"), prefix("/a"))).isTrue();
    assertThat(VirtualServiceDelegates.conflicts(exact("/a"), prefix("/a"))).isTrue();
    assertThat(VirtualServiceDelegates.conflicts(prefix("/a"), StringMatch.newBuilder().setRegex("/a.*").build())).isTrue();
  }

  @Test
  void merge_rootDelegatingToAnExportedDelegate_getsNarrowedDelegateRoutesInheritingTheRoot() {
    Config root = vs("default", "root", VirtualService.newBuilder().addHosts("reviews.default.svc.cluster.local")
        .addHttp(HTTPRoute.newBuilder().setName("api").addMatch(uri(prefix("/api")))
            .setTimeout(Duration.newBuilder().setSeconds(3))
            .setDelegate(Delegate.newBuilder().setName("routes").setNamespace("team")))
        .addHttp(to("rest", "v1"))
        .build());
    Config delegate = vs("team", "routes", VirtualService.newBuilder()
        .addHttp(to("v2", "v2", uri(prefix("/api/v2"))))
        .addHttp(to("outside", "v2", uri(prefix("/other"))))
        .addHttp(to("", "v1"))
        .build());

    List<Config> merged = VirtualServiceDelegates.merge(List.of(root, delegate), List.of());

    assertThat(merged).singleElement().satisfies(c -> {
      VirtualService spec = c.spec(VirtualService.class);
      assertThat(spec.getHttpList()).extracting(HTTPRoute::getName).containsExactly("api-v2", "api", "rest");
      assertThat(spec.getHttp(0).getMatch(0).getUri()).isEqualTo(prefix("/api/v2"));
      assertThat(spec.getHttp(1).getMatch(0).getUri()).as("a delegate route without match takes the root's")
          .isEqualTo(prefix("/api"));
      assertThat(spec.getHttp(0).getTimeout().getSeconds()).as("inherited timeout").isEqualTo(3);
      assertThat(spec.getHttp(0).hasDelegate()).isFalse();
    });
  }

  @Test
  void merge_delegateNotExportedToTheRootNamespace_rootRouteDropped() {
    Config root = vs("default", "root", VirtualService.newBuilder().addHosts("reviews.default.svc.cluster.local")
        .addHttp(HTTPRoute.newBuilder().setName("api").addMatch(uri(prefix("/api")))
            .setDelegate(Delegate.newBuilder().setName("routes").setNamespace("team")))
        .addHttp(to("rest", "v1"))
        .build());
    Config delegate = vs("team", "routes", VirtualService.newBuilder().addExportTo(".").addHttp(to("v2", "v2")).build());

    List<Config> merged = VirtualServiceDelegates.merge(List.of(root, delegate), List.of());

    assertThat(merged.get(0).spec(VirtualService.class).getHttpList()).extracting(HTTPRoute::getName)
        .containsExactly("rest");
  }

  @Test
  void build_delegatesAreNotIndexedForTheMesh() {
    Config delegate = vs("default", "routes", VirtualService.newBuilder().addHttp(to("v2", "v2")).build());
    Config plain = vs("default", "plain", VirtualService.newBuilder().addHosts("ratings").addHttp(to("r", "v1")).build());

    VirtualServiceIndex index = VirtualServiceIndex.build(List.of(delegate, plain), MeshConfig.getDefaultInstance(),
        "cluster.local");

    assertThat(index.forGateway("default", VirtualServiceIndex.MESH_GATEWAY)).extracting(Config::name)
        .containsExactly("plain");
  }
}

package dev.istiod.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.PushContext;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.simulation.Call;
import dev.istiod.xds.simulation.Simulation;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's mesh, at a small scale: it validates, generates the resources the benchmark
 * expects, and routes as its VirtualServices say. (The benchmarks themselves run only from
 * tools/bench.sh.)
 */
class SyntheticMeshTest {
  private static final SyntheticMesh.Shape SMALL = new SyntheticMesh.Shape(12, 6, 6, 3);

  @Test
  void smallMesh_generatesEveryServicePortAndSubset() {
    SyntheticMesh mesh = SyntheticMesh.build(SMALL);
    PushContext push = mesh.push();
    XdsOutput xds = new XdsOutput();
    GenerationResult lds = xds.lds(mesh.proxy(), push);
    GenerationResult rds = xds.rds(mesh.proxy(), push, XdsOutput.routeSubscription(lds));
    MeshCheck.requireIssueScale(mesh, xds.cds(mesh.proxy(), push), lds, rds);
    assertThat(push.services()).hasSize(SMALL.services());
  }

  @Test
  void virtualServices_sendTheirUserToV2_andSplitEveryoneElse() {
    SyntheticMesh mesh = SyntheticMesh.build(SMALL);
    Simulation sim = Simulation.of(mesh.proxy(), mesh.push());
    String host = SyntheticMesh.host(4, SMALL);
    sim.call(Call.http(host, 8080).header("end-user", "user-4")).expectRoute("canary-user")
        .expectCluster("outbound|8080|v2|" + host).expectOk();
    sim.call(Call.http(host, 9090).protocol(Call.Protocol.HTTP2)).expectRoute("split")
        .expectWeightedClusters(Map.of("outbound|9090|v1|" + host, 90, "outbound|9090|v2|" + host, 10));
    String plain = SyntheticMesh.host(10, SMALL);
    sim.call(Call.http(plain, 8080)).as("no VirtualService").expectCluster("outbound|8080||" + plain);
    sim.call(Call.tcp("10.96.0.11", 5432)).expectCluster("outbound|5432||" + plain);
  }
}

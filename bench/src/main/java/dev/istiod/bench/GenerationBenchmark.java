package dev.istiod.bench;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.cache.XdsCache;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Config generation for one sidecar in a mesh of {@link SyntheticMesh.Shape#issueScale()}:
 * 1,000 ServiceEntry services × 3 ports (http, grpc, tcp), 500 VirtualServices (header match and
 * weighted subsets), 500 DestinationRules (2 subsets, load balancer policy).
 *
 * <ul>
 *   <li>{@link #cdsLdsRds}: CDS + LDS + RDS from a built PushContext — the per-proxy cost of a
 *       full push (the sidecar scope is memoised in the context, as for every proxy after the
 *       first of its namespace).</li>
 *   <li>{@link #pushContextBuild}: building the PushContext from the stores (once per full push).</li>
 *   <li>{@link #pushContextBuildThenCdsLdsRds}: both, for the first proxy after a config change.</li>
 *   <li>{@link #cds}, {@link #lds}, {@link #rds}: the parts of {@link #cdsLdsRds}.</li>
 *   <li>{@link #cachedCdsEdsLdsRds}: everything a second client of the same namespace fetches (CDS, EDS for
 *       its clusters, LDS, RDS) after a first one filled the xDS cache — the per-proxy cost of a full push
 *       to the second to N-th proxy; {@link #cachedCds}, {@link #cachedEds}, {@link #cachedRds} its parts.</li>
 * </ul>
 *
 * <p>Sample mode reports percentiles; the median ({@code p0.50}) is the number to quote. Forks,
 * iterations and heap are sized for a small, noisy machine; {@code tools/bench.sh} runs it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class GenerationBenchmark {
  private SyntheticMesh mesh;
  private PushContext push;
  private XdsOutput xds;
  private WatchedResource routes;
  private WatchedResource endpoints;
  private XdsOutput cachedXds;
  private Proxy[] others;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    mesh = SyntheticMesh.build(SyntheticMesh.Shape.issueScale());
    push = mesh.push();
    xds = new XdsOutput();
    GenerationResult cds = xds.cds(mesh.proxy(), push);
    GenerationResult lds = xds.lds(mesh.proxy(), push);
    routes = XdsOutput.routeSubscription(lds);
    GenerationResult rds = xds.rds(mesh.proxy(), push, routes);
    MeshCheck.requireIssueScale(mesh, cds, lds, rds);
    System.err.printf("mesh: %d clusters, %d listeners, %d route configurations %s%n", cds.resources().size(),
        lds.resources().size(), rds.resources().size(), routes.resourceNames());
    endpoints = XdsOutput.endpointSubscription(cds);
    cachedXds = new XdsOutput(XdsCache.create(XdsCache.DEFAULT_MAX_ENTRIES, null));
    cachedXds.cds(mesh.proxy(), push);
    cachedXds.eds(mesh.proxy(), push, endpoints);
    cachedXds.rds(mesh.proxy(), push, routes);
    others = new Proxy[64];
    for (int i = 0; i < others.length; i++) {
      others[i] = mesh.otherClient(i + 1);
    }
  }

  private Proxy nextOther() {
    next = (next + 1) % others.length;
    return others[next];
  }

  @Benchmark
  public void cachedCdsEdsLdsRds(Blackhole bh) {
    Proxy p = nextOther();
    bh.consume(cachedXds.cds(p, push));
    bh.consume(cachedXds.eds(p, push, endpoints));
    bh.consume(cachedXds.lds(p, push));
    bh.consume(cachedXds.rds(p, push, routes));
  }

  @Benchmark
  public GenerationResult cachedCds() {
    return cachedXds.cds(nextOther(), push);
  }

  @Benchmark
  public GenerationResult cachedEds() {
    return cachedXds.eds(nextOther(), push, endpoints);
  }

  @Benchmark
  public GenerationResult cachedRds() {
    return cachedXds.rds(nextOther(), push, routes);
  }

  @Benchmark
  public void cdsLdsRds(Blackhole bh) {
    bh.consume(xds.cds(mesh.proxy(), push));
    bh.consume(xds.lds(mesh.proxy(), push));
    bh.consume(xds.rds(mesh.proxy(), push, routes));
  }

  @Benchmark
  public PushContext pushContextBuild() {
    return mesh.push();
  }

  @Benchmark
  public void pushContextBuildThenCdsLdsRds(Blackhole bh) {
    PushContext fresh = mesh.push();
    bh.consume(xds.cds(mesh.proxy(), fresh));
    bh.consume(xds.lds(mesh.proxy(), fresh));
    bh.consume(xds.rds(mesh.proxy(), fresh, routes));
  }

  @Benchmark
  public GenerationResult cds() {
    return xds.cds(mesh.proxy(), push);
  }

  @Benchmark
  public GenerationResult lds() {
    return xds.lds(mesh.proxy(), push);
  }

  @Benchmark
  public GenerationResult rds() {
    return xds.rds(mesh.proxy(), push, routes);
  }
}

package dev.istiod.xds.grpcgen;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.DecodeMode;
import dev.istiod.configstore.DecodeResult;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import dev.istiod.xds.server.DiscoveryServer;
import dev.istiod.xds.server.XdsConnectionSnapshot;
import dev.istiod.xds.server.XdsServerOptions;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * istiod's pilot path as the proxyless tests need it: a validating memory config store fed with
 * Istio YAML, the ServiceEntry
 * registry writing the endpoint index, and the ADS server with the proxyless generators on a real
 * Netty port of 127.0.0.1. A real port because grpc-xds dials the bootstrap's {@code server_uri}
 * itself (the shared FakeDiscoveryServer serves in-process only).
 *
 * <p>Config changes reach the server as istiod wires them: ServiceEntries through the registry
 * (which decides full or incremental pushes), every other kind as a full config push.
 */
final class IstiodUnderTest implements AutoCloseable {
  private final MemoryConfigStore store = new MemoryConfigStore(KindRegistry.istio());
  private final ConfigDecoder decoder = new ConfigDecoder(KindRegistry.istio(), DecodeMode.STRICT);
  private final PrometheusRegistry metrics = new PrometheusRegistry();
  private final ServiceEntryRegistry registry;
  private final DiscoveryServer xds;
  private final Server server;

  private IstiodUnderTest() throws IOException {
    EndpointIndex endpoints = new EndpointIndex();
    MeshConfig mesh = MeshConfig.newBuilder().setRootNamespace("istio-system").build();
    registry = new ServiceEntryRegistry(store, endpoints, this::push);
    Environment env = new Environment(store, registry, endpoints, () -> mesh, "cluster.local");
    xds = new DiscoveryServer(env, ProxylessGrpc.withProxyless(Map.of()),
        XdsServerOptions.defaults().withDebounce(Duration.ofMillis(10), Duration.ofMillis(200)), metrics);
    store.addHandler(e -> {
      Kind kind = e.key().kind();
      if (kind != Kind.SERVICE_ENTRY && kind != Kind.WORKLOAD_ENTRY) {
        push(PushRequest.full(TriggerReason.CONFIG, Set.of(e.key())));
      }
    });
    registry.start();
    xds.start();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(xds.bindService()).build().start();
    xds.markReady();
  }

  static IstiodUnderTest start() throws IOException {
    return new IstiodUnderTest();
  }

  private void push(PushRequest request) {
    xds.configUpdate(request);
  }

  /** The ADS port on 127.0.0.1. */
  int port() {
    return server.getPort();
  }

  /** Decodes Istio YAML (strictly, as config files are) and creates or replaces every object in it. */
  void apply(String yaml) {
    DecodeResult decoded = decoder.decodeYaml(yaml, "test.yaml");
    if (decoded.hasErrors()) {
      throw new IllegalArgumentException("bad test config: " + decoded.errors());
    }
    decoded.configs().forEach(store::apply);
  }

  List<XdsConnectionSnapshot> connections() {
    return xds.connections();
  }

  /** {@code pilot_total_xds_rejects} summed over types: every NACK the server ever received. */
  double totalRejects() {
    for (MetricSnapshot s : metrics.scrape()) {
      if (s.getMetadata().getName().equals("pilot_total_xds_rejects")) {
        return s.getDataPoints().stream()
            .mapToDouble(p -> ((CounterSnapshot.CounterDataPointSnapshot) p).getValue()).sum();
      }
    }
    return 0;
  }

  @Override
  public void close() {
    xds.close();
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    registry.close();
  }
}

package dev.istiod.xds.testing;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.ServiceTarget;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.server.DiscoveryServer;
import dev.istiod.xds.server.XdsServerOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An in-memory istiod for tests: a {@link DiscoveryServer} over the given environment and
 * generators, served on an in-process gRPC channel, with zero debounce so every
 * {@link #configUpdate} is pushed at once. {@link #awaitIdle()} waits until every push was handed
 * to gRPC, so tests can assert on what was (and was not) sent without sleeping.
 *
 * <p>Consumers of the xds test-jar need {@code io.grpc:grpc-inprocess} on their test classpath.
 */
public final class FakeDiscoveryServer implements AutoCloseable {
  /** Zero debounce, a few push workers. */
  public static final XdsServerOptions TEST_OPTIONS =
      new XdsServerOptions(Duration.ZERO, Duration.ZERO, true, 4, Duration.ofSeconds(5), 10_000);

  private final Environment env;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final DiscoveryServer discovery;
  private final Server grpcServer;
  private final ManagedChannel channel;
  private final List<AdsTestClient> clients = new ArrayList<>();

  private FakeDiscoveryServer(Environment env, Collection<? extends XdsGenerator> generators,
      XdsServerOptions options, boolean ready) {
    this.env = env;
    Map<String, XdsGenerator> byType = new LinkedHashMap<>();
    for (XdsGenerator g : generators) {
      if (byType.put(g.typeUrl(), g) != null) {
        throw new IllegalArgumentException("two generators for " + g.typeUrl());
      }
    }
    this.discovery = new DiscoveryServer(env, byType, options, registry);
    discovery.start();
    if (ready) {
      discovery.markReady();
    }
    String name = InProcessServerBuilder.generateName();
    try {
      this.grpcServer = InProcessServerBuilder.forName(name).directExecutor().addService(discovery).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** A ready server with zero debounce. */
  public static FakeDiscoveryServer start(Environment env, Collection<? extends XdsGenerator> generators) {
    return new FakeDiscoveryServer(env, generators, TEST_OPTIONS, true);
  }

  /** A server with the given options; {@code ready=false} leaves it refusing streams. */
  public static FakeDiscoveryServer start(Environment env, Collection<? extends XdsGenerator> generators,
      XdsServerOptions options, boolean ready) {
    return new FakeDiscoveryServer(env, generators, options, ready);
  }

  /** An environment with no config, no services, no endpoints and the default mesh config. */
  public static Environment emptyEnvironment() {
    return environment(new EndpointIndex());
  }

  /** An environment with no config or services, over the given endpoint index. */
  public static Environment environment(EndpointIndex endpoints) {
    ConfigStore store = new ConfigStore() {
      @Override
      public List<Config> list(Kind kind) {
        return List.of();
      }

      @Override
      public Optional<Config> get(ConfigKey key) {
        return Optional.empty();
      }

      @Override
      public void addHandler(ConfigEventHandler handler) {}

      @Override
      public boolean hasSynced() {
        return true;
      }
    };
    ServiceDiscovery services = new ServiceDiscovery() {
      @Override
      public List<Service> services() {
        return List.of();
      }

      @Override
      public List<ServiceTarget> serviceTargets(Proxy proxy) {
        return List.of();
      }
    };
    return new Environment(store, services, endpoints, MeshConfig::getDefaultInstance, "cluster.local");
  }

  public DiscoveryServer server() {
    return discovery;
  }

  public ManagedChannel channel() {
    return channel;
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public Environment environment() {
    return env;
  }

  /** A client on this server's channel, closed with the server. */
  public AdsTestClient client() {
    AdsTestClient c = AdsTestClient.forChannel(channel);
    clients.add(c);
    return c;
  }

  /** Sends a change through the debouncer, as config sources do. */
  public void configUpdate(PushRequest request) {
    discovery.configUpdate(request);
  }

  /** Waits until nothing is debounced, queued or being pushed. */
  public void awaitIdle() {
    awaitIdle(AdsTestClient.DEFAULT_TIMEOUT);
  }

  public void awaitIdle(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Two consecutive idle reads: a release between debouncer and queue checks cannot slip through.
    int idleReads = 0;
    while (idleReads < 2) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("push pipeline not idle within " + timeout + ": " + discovery.pushStats());
      }
      idleReads = discovery.isIdle() ? idleReads + 1 : 0;
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    clients.forEach(AdsTestClient::close);
    channel.shutdownNow();
    discovery.close();
    grpcServer.shutdownNow();
  }
}

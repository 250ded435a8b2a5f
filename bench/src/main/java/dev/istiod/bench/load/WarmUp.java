package dev.istiod.bench.load;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs one SotW and one delta proxy through a whole exchange (CDS, EDS, LDS, RDS and their ACKs) against a
 * throwaway ADS server inside this JVM, before any measurement: a cold JVM spends seconds of CPU loading and
 * initializing gRPC, Netty and the Envoy message classes, and without this the first proxies' times would measure
 * the generator instead of the control plane. The control plane under test sees nothing of it.
 */
final class WarmUp {
  private static final String NAME = "warm-up";
  private static final Map<XdsType, Any> RESOURCES = Map.of(
      XdsType.CLUSTER, Any.pack(Cluster.newBuilder().setName(NAME).setType(Cluster.DiscoveryType.EDS).build()),
      XdsType.ENDPOINT, Any.pack(ClusterLoadAssignment.newBuilder().setClusterName(NAME).build()),
      XdsType.LISTENER, Any.pack(Listener.newBuilder().setName(NAME).addFilterChains(FilterChain.newBuilder()
          .addFilters(Filter.newBuilder().setName("envoy.filters.network.http_connection_manager")
              .setTypedConfig(Any.pack(HttpConnectionManager.newBuilder().setStatPrefix(NAME)
                  .setRds(Rds.newBuilder().setRouteConfigName(NAME)).build())))).build()),
      XdsType.ROUTE, Any.pack(RouteConfiguration.newBuilder().setName(NAME).build()));

  private WarmUp() {}

  /** Returns when both proxies converged, or after ten seconds (a warm-up never fails the run). */
  static void run(EventLoopGroup eventLoop, Executor executor, ScheduledExecutorService scheduler,
      EnvoyNode.Options node) throws IOException, InterruptedException {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .bossEventLoopGroup(eventLoop).workerEventLoopGroup(eventLoop).channelType(NioServerSocketChannel.class)
        .executor(executor).addService(new Ads()).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(),
        server.getPort())).usePlaintext().eventLoopGroup(eventLoop).channelType(NioSocketChannel.class)
        .executor(executor).build();
    try {
      LoadContext ctx = new LoadContext(new ResourceParser(100), scheduler);
      List<SimulatedProxy> proxies = List.of(
          new SimulatedProxy(Workloads.sidecar(0), EnvoyNode.of(Workloads.sidecar(0), node),
              SimulatedProxy.Protocol.SOTW, ctx, channel),
          new SimulatedProxy(Workloads.gateway(0), EnvoyNode.of(Workloads.gateway(0), node),
              SimulatedProxy.Protocol.DELTA, ctx, channel));
      proxies.forEach(SimulatedProxy::connect);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (ctx.completed() < proxies.size() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      proxies.forEach(SimulatedProxy::stop);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Answers every request that is not an ACK with the one resource of its type. */
  private static final class Ads extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
    @Override
    public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> out) {
      return new Observer<>(out) {
        @Override
        public void onNext(DiscoveryRequest r) {
          XdsType t = XdsType.ofTypeUrl(r.getTypeUrl()).orElse(null);
          if (t != null && r.getResponseNonce().isEmpty()) {
            out.onNext(DiscoveryResponse.newBuilder().setTypeUrl(t.typeUrl()).setVersionInfo("1")
                .setNonce(t.shortName()).addResources(RESOURCES.get(t)).build());
          }
        }
      };
    }

    @Override
    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
        StreamObserver<DeltaDiscoveryResponse> out) {
      return new Observer<>(out) {
        @Override
        public void onNext(DeltaDiscoveryRequest r) {
          XdsType t = XdsType.ofTypeUrl(r.getTypeUrl()).orElse(null);
          if (t != null && r.getResponseNonce().isEmpty()) {
            out.onNext(DeltaDiscoveryResponse.newBuilder().setTypeUrl(t.typeUrl()).setSystemVersionInfo("1")
                .setNonce(t.shortName()).addResources(Resource.newBuilder().setName(NAME).setVersion("1")
                    .setResource(RESOURCES.get(t))).build());
          }
        }
      };
    }
  }

  /** A request observer that ends the response stream with the request stream. */
  private abstract static class Observer<Q, R> implements StreamObserver<Q> {
    final StreamObserver<R> out;

    Observer(StreamObserver<R> out) {
      this.out = out;
    }

    @Override
    public void onError(Throwable t) {
      // The warm-up proxies cancel their streams when done.
    }

    @Override
    public void onCompleted() {
      out.onCompleted();
    }
  }
}

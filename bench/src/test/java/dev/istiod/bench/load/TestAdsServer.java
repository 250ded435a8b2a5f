package dev.istiod.bench.load;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny ADS server for the load generator's tests: it serves a snapshot of resources per type over SotW and delta
 * on loopback, pushes the types a test names when the snapshot changes, and records what every stream sent and
 * received so tests can check the client's ACKs and subscriptions. It follows the xDS rules a real control plane
 * does (respond to initial requests and subscription changes, treat a matching nonce as an ACK, never answer a NACK).
 */
final class TestAdsServer implements AutoCloseable {
  /** The served resources, by type and name; {@code version} is the SotW version_info and the delta versions. */
  record Snapshot(String version, Map<XdsType, Map<String, Any>> resources) {
    Snapshot {
      Map<XdsType, Map<String, Any>> copy = new EnumMap<>(XdsType.class);
      for (XdsType t : XdsType.values()) {
        copy.put(t, Map.copyOf(resources.getOrDefault(t, Map.of())));
      }
      resources = copy;
    }

    static Snapshot of(String version, List<? extends Message> messages, java.util.function.Function<Message, String> name) {
      Map<XdsType, Map<String, Any>> byType = new EnumMap<>(XdsType.class);
      for (Message m : messages) {
        Any any = Any.pack(m);
        XdsType t = XdsType.ofTypeUrl(any.getTypeUrl()).orElseThrow();
        byType.computeIfAbsent(t, k -> new LinkedHashMap<>()).put(name.apply(m), any);
      }
      return new Snapshot(version, byType);
    }

    Snapshot with(String newVersion, XdsType type, String name, Any value) {
      Map<XdsType, Map<String, Any>> copy = new EnumMap<>(resources);
      Map<String, Any> m = new LinkedHashMap<>(copy.get(type));
      m.put(name, value);
      copy.put(type, m);
      return new Snapshot(newVersion, copy);
    }
  }

  /** A response the server sent: stream, type, version and nonce. */
  record Sent(int stream, boolean delta, XdsType type, String version, String nonce) {}

  /** A request that acknowledged ({@code error == null}) or rejected a response. */
  record Ack(int stream, XdsType type, String version, String nonce, String error) {}

  private final Server server;
  private volatile Snapshot snapshot;
  private final AtomicLong nonces = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger streamIds = new java.util.concurrent.atomic.AtomicInteger();
  private final List<SotwHandler> sotwStreams = new CopyOnWriteArrayList<>();
  private final List<DeltaHandler> deltaStreams = new CopyOnWriteArrayList<>();
  final List<Sent> sent = new CopyOnWriteArrayList<>();
  final List<Ack> acks = new CopyOnWriteArrayList<>();
  /** Per stream: the node id of its first request. */
  final Map<Integer, String> nodes = new java.util.concurrent.ConcurrentHashMap<>();
  final List<DiscoveryRequest> sotwRequests = new CopyOnWriteArrayList<>();
  final List<DeltaDiscoveryRequest> deltaRequests = new CopyOnWriteArrayList<>();

  TestAdsServer(Snapshot initial) throws IOException {
    this(initial, 0);
  }

  /** A server on {@code port} of 127.0.0.1 (0: any free port). */
  TestAdsServer(Snapshot initial, int port) throws IOException {
    this.snapshot = initial;
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
          @Override
          public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> out) {
            SotwHandler h = new SotwHandler(streamIds.incrementAndGet(), out);
            sotwStreams.add(h);
            return h;
          }

          @Override
          public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
              StreamObserver<DeltaDiscoveryResponse> out) {
            DeltaHandler h = new DeltaHandler(streamIds.incrementAndGet(), out);
            deltaStreams.add(h);
            return h;
          }
        })
        .build()
        .start();
  }

  int port() {
    return server.getPort();
  }

  /** Serves {@code next} and pushes {@code types} to every stream watching them. */
  void update(Snapshot next, Set<XdsType> types) {
    snapshot = next;
    for (XdsType t : XdsType.values()) {
      if (types.contains(t)) {
        sotwStreams.forEach(h -> h.push(t));
        deltaStreams.forEach(h -> h.push(t));
      }
    }
  }

  /** The names the last request of {@code type} on each SotW stream subscribed to. */
  Map<Integer, Set<String>> sotwSubscriptions(XdsType type) {
    Map<Integer, Set<String>> out = new HashMap<>();
    sotwStreams.forEach(h -> out.put(h.id, h.names(type)));
    return out;
  }

  /** The names each delta stream is subscribed to for {@code type}. */
  Map<Integer, Set<String>> deltaSubscriptions(XdsType type) {
    Map<Integer, Set<String>> out = new HashMap<>();
    deltaStreams.forEach(h -> out.put(h.id, h.names(type)));
    return out;
  }

  private String nextNonce() {
    return "n" + nonces.incrementAndGet();
  }

  private final class SotwHandler implements StreamObserver<DiscoveryRequest> {
    private final int id;
    private final StreamObserver<DiscoveryResponse> out;
    private final Map<XdsType, Set<String>> names = new EnumMap<>(XdsType.class);
    private final Map<XdsType, Sent> lastSent = new EnumMap<>(XdsType.class);
    private final Set<String> sentNonces = new HashSet<>();

    SotwHandler(int id, StreamObserver<DiscoveryResponse> out) {
      this.id = id;
      this.out = out;
    }

    synchronized Set<String> names(XdsType t) {
      return Set.copyOf(names.getOrDefault(t, Set.of()));
    }

    @Override
    public synchronized void onNext(DiscoveryRequest r) {
      sotwRequests.add(r);
      if (r.hasNode()) {
        nodes.put(id, r.getNode().getId());
      }
      XdsType t = XdsType.ofTypeUrl(r.getTypeUrl()).orElseThrow();
      if (r.hasErrorDetail()) {
        acks.add(new Ack(id, t, r.getVersionInfo(), r.getResponseNonce(), r.getErrorDetail().getMessage()));
        return;
      }
      String nonce = r.getResponseNonce();
      if (sentNonces.contains(nonce)) {
        acks.add(new Ack(id, t, r.getVersionInfo(), nonce, null));
      }
      Sent last = lastSent.get(t);
      if (!nonce.isEmpty() && (last == null || !nonce.equals(last.nonce()))) {
        return; // as istiod: a request answering an older response is stale and ignored
      }
      Set<String> requested = new HashSet<>(r.getResourceNamesList());
      boolean changed = !requested.equals(names.get(t));
      names.put(t, requested);
      if (nonce.isEmpty() || changed && !t.wildcard()) {
        push(t);
      }
    }

    synchronized void push(XdsType t) {
      if (!names.containsKey(t)) {
        return;
      }
      Snapshot s = snapshot;
      DiscoveryResponse.Builder b = DiscoveryResponse.newBuilder().setTypeUrl(t.typeUrl())
          .setVersionInfo(s.version()).setNonce(nextNonce());
      s.resources().get(t).forEach((name, any) -> {
        if (t.wildcard() || names.get(t).contains(name)) {
          b.addResources(any);
        }
      });
      Sent record = new Sent(id, false, t, b.getVersionInfo(), b.getNonce());
      lastSent.put(t, record);
      sentNonces.add(record.nonce());
      sent.add(record);
      out.onNext(b.build());
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public synchronized void onCompleted() {
      out.onCompleted();
    }
  }

  private final class DeltaHandler implements StreamObserver<DeltaDiscoveryRequest> {
    private final int id;
    private final StreamObserver<DeltaDiscoveryResponse> out;
    private final Map<XdsType, Set<String>> names = new EnumMap<>(XdsType.class);
    private final Map<XdsType, Set<String>> held = new EnumMap<>(XdsType.class);
    private final Set<String> sentNonces = new HashSet<>();

    DeltaHandler(int id, StreamObserver<DeltaDiscoveryResponse> out) {
      this.id = id;
      this.out = out;
    }

    synchronized Set<String> names(XdsType t) {
      return Set.copyOf(names.getOrDefault(t, Set.of()));
    }

    @Override
    public synchronized void onNext(DeltaDiscoveryRequest r) {
      deltaRequests.add(r);
      if (r.hasNode()) {
        nodes.put(id, r.getNode().getId());
      }
      XdsType t = XdsType.ofTypeUrl(r.getTypeUrl()).orElseThrow();
      if (!r.getResponseNonce().isEmpty()) {
        if (sentNonces.contains(r.getResponseNonce())) {
          acks.add(new Ack(id, t, "", r.getResponseNonce(), r.hasErrorDetail() ? r.getErrorDetail().getMessage() : null));
        }
        return;
      }
      boolean first = !names.containsKey(t);
      Set<String> subscribed = names.computeIfAbsent(t, k -> new HashSet<>());
      subscribed.addAll(r.getResourceNamesSubscribeList());
      r.getResourceNamesUnsubscribeList().forEach(subscribed::remove);
      r.getResourceNamesUnsubscribeList().forEach(n -> held.getOrDefault(t, new HashSet<>()).remove(n));
      if (first || !r.getResourceNamesSubscribeList().isEmpty()) {
        push(t);
      }
    }

    synchronized void push(XdsType t) {
      if (!names.containsKey(t)) {
        return;
      }
      Snapshot s = snapshot;
      DeltaDiscoveryResponse.Builder b = DeltaDiscoveryResponse.newBuilder().setTypeUrl(t.typeUrl())
          .setSystemVersionInfo(s.version()).setNonce(nextNonce());
      Set<String> now = new HashSet<>();
      s.resources().get(t).forEach((name, any) -> {
        if (t.wildcard() || names.get(t).contains(name)) {
          b.addResources(Resource.newBuilder().setName(name).setVersion(s.version()).setResource(any));
          now.add(name);
        }
      });
      Set<String> before = held.getOrDefault(t, Set.of());
      List<String> removed = new ArrayList<>();
      for (String n : before) {
        if (!now.contains(n)) {
          removed.add(n);
        }
      }
      b.addAllRemovedResources(removed);
      held.put(t, now);
      sentNonces.add(b.getNonce());
      sent.add(new Sent(id, true, t, s.version(), b.getNonce()));
      out.onNext(b.build());
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public synchronized void onCompleted() {
      out.onCompleted();
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}

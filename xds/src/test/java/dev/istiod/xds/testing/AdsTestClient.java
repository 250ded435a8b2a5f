package dev.istiod.xds.testing;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An ADS client for tests, speaking SotW ({@link #sotw}) or delta ({@link #delta}) over any gRPC
 * channel (in-process or real). It plays the part of Envoy: sends requests with the node on the
 * first one only, and offers {@code expect}/{@code ack}/{@code nack} helpers that fail with a
 * clear message when the server does not answer within the timeout.
 */
public final class AdsTestClient implements AutoCloseable {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final ManagedChannel channel;
  private final boolean ownsChannel;

  private AdsTestClient(ManagedChannel channel, boolean ownsChannel) {
    this.channel = channel;
    this.ownsChannel = ownsChannel;
  }

  /** A client on an existing channel, which the caller keeps owning. */
  public static AdsTestClient forChannel(ManagedChannel channel) {
    return new AdsTestClient(channel, false);
  }

  /** A client on a new plaintext channel to {@code host:port}, closed with the client. */
  public static AdsTestClient connect(String host, int port) {
    return new AdsTestClient(NettyChannelBuilder.forAddress(host, port).usePlaintext().build(), true);
  }

  /** A sidecar node as pilot-agent builds it: {@code sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local}. */
  public static Node sidecarNode(String ip, String pod, String namespace) {
    return Node.newBuilder()
        .setId("sidecar~" + ip + "~" + pod + "." + namespace + "~" + namespace + ".svc.cluster.local")
        .setMetadata(Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("INSTANCE_IPS", Value.newBuilder().setStringValue(ip).build()))
        .build();
  }

  public Sotw sotw(Node node) {
    return new Sotw(node);
  }

  public Delta delta(Node node) {
    return new Delta(node);
  }

  @Override
  public void close() {
    if (ownsChannel) {
      channel.shutdownNow();
    }
  }

  /** Collects what the server sends on one stream. */
  private static final class Inbox<T> implements StreamObserver<T> {
    final BlockingQueue<T> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      messages.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closed.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      closed.complete(Status.OK);
    }

    T next(Duration timeout, String what) {
      try {
        T m = messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (m == null) {
          String state = closed.isDone() ? " (stream closed: " + closed.getNow(null) + ")" : "";
          throw new AssertionError("no " + what + " within " + timeout + state);
        }
        return m;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }

    void expectNone(Duration wait) {
      try {
        T m = messages.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        if (m != null) {
          throw new AssertionError("expected no response, got " + m);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    Status awaitClose(Duration timeout) {
      try {
        return closed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("stream not closed within " + timeout, e);
      } catch (InterruptedException | ExecutionException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** A state-of-the-world stream ({@code StreamAggregatedResources}). */
  public final class Sotw implements AutoCloseable {
    private final Node node;
    private final Inbox<DiscoveryResponse> inbox = new Inbox<>();
    private final StreamObserver<DiscoveryRequest> requests;
    private final Map<String, List<String>> subscriptions = new HashMap<>();
    private final Map<String, DiscoveryResponse> lastAcked = new HashMap<>();
    private final Map<String, DiscoveryResponse> lastReceived = new HashMap<>();
    private boolean nodeSent;

    private Sotw(Node node) {
      this.node = node;
      this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(inbox);
    }

    /** Sends a request as is, adding the node if this is the stream's first request and it has none. */
    public synchronized Sotw send(DiscoveryRequest request) {
      DiscoveryRequest r = request;
      if (!nodeSent && node != null && !request.hasNode()) {
        r = request.toBuilder().setNode(node).build();
      }
      nodeSent = true;
      subscriptions.put(r.getTypeUrl(), List.copyOf(r.getResourceNamesList()));
      requests.onNext(r);
      return this;
    }

    /**
     * Subscribes to these names (none: wildcard for CDS/LDS, unsubscribe for others), carrying the
     * version and nonce of the last response of the type as Envoy does.
     */
    public Sotw request(String typeUrl, String... names) {
      DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
          .addAllResourceNames(Arrays.asList(names));
      DiscoveryResponse last = lastReceived(typeUrl);
      if (last != null) {
        b.setResponseNonce(last.getNonce());
        DiscoveryResponse acked = lastAcked(typeUrl);
        b.setVersionInfo(acked != null ? acked.getVersionInfo() : "");
      }
      return send(b.build());
    }

    /** The next response, whatever its type. */
    public DiscoveryResponse expect() {
      return expect(DEFAULT_TIMEOUT);
    }

    public DiscoveryResponse expect(Duration timeout) {
      DiscoveryResponse r = inbox.next(timeout, "response");
      synchronized (this) {
        lastReceived.put(r.getTypeUrl(), r);
      }
      return r;
    }

    /** The next response, which must be of this type. */
    public DiscoveryResponse expect(String typeUrl) {
      DiscoveryResponse r = expect();
      if (!r.getTypeUrl().equals(typeUrl)) {
        throw new AssertionError("expected a response of " + typeUrl + ", got " + r.getTypeUrl());
      }
      return r;
    }

    /** Requests the type and returns the response, ACKing it. */
    public DiscoveryResponse requestAndAck(String typeUrl, String... names) {
      request(typeUrl, names);
      DiscoveryResponse r = expect(typeUrl);
      ack(r);
      return r;
    }

    /** ACKs a response with the current subscription of its type. */
    public Sotw ack(DiscoveryResponse response) {
      List<String> names = subscription(response.getTypeUrl());
      return ack(response, names.toArray(String[]::new));
    }

    /** ACKs a response while changing the subscription to these names. */
    public Sotw ack(DiscoveryResponse response, String... names) {
      synchronized (this) {
        lastAcked.put(response.getTypeUrl(), response);
      }
      return send(DiscoveryRequest.newBuilder()
          .setTypeUrl(response.getTypeUrl())
          .setVersionInfo(response.getVersionInfo())
          .setResponseNonce(response.getNonce())
          .addAllResourceNames(Arrays.asList(names))
          .build());
    }

    /** Rejects a response, as Envoy does: previous good version, this nonce, an error detail. */
    public Sotw nack(DiscoveryResponse response, String message) {
      DiscoveryResponse acked = lastAcked(response.getTypeUrl());
      return send(DiscoveryRequest.newBuilder()
          .setTypeUrl(response.getTypeUrl())
          .setVersionInfo(acked != null ? acked.getVersionInfo() : "")
          .setResponseNonce(response.getNonce())
          .addAllResourceNames(subscription(response.getTypeUrl()))
          .setErrorDetail(com.google.rpc.Status.newBuilder()
              .setCode(Status.Code.INVALID_ARGUMENT.value()).setMessage(message))
          .build());
    }

    /** Fails if a response arrives within {@code wait}. Prefer positive checks where possible. */
    public void expectNoResponse(Duration wait) {
      inbox.expectNone(wait);
    }

    /** Waits for the server to end the stream and returns its status. */
    public Status expectClosed() {
      return inbox.awaitClose(DEFAULT_TIMEOUT);
    }

    public synchronized List<String> subscription(String typeUrl) {
      return subscriptions.getOrDefault(typeUrl, List.of());
    }

    private synchronized DiscoveryResponse lastAcked(String typeUrl) {
      return lastAcked.get(typeUrl);
    }

    private synchronized DiscoveryResponse lastReceived(String typeUrl) {
      return lastReceived.get(typeUrl);
    }

    @Override
    public void close() {
      try {
        requests.onCompleted();
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }

  /** An incremental stream ({@code DeltaAggregatedResources}). */
  public final class Delta implements AutoCloseable {
    private final Node node;
    private final Inbox<DeltaDiscoveryResponse> inbox = new Inbox<>();
    private final StreamObserver<DeltaDiscoveryRequest> requests;
    private boolean nodeSent;

    private Delta(Node node) {
      this.node = node;
      this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(inbox);
    }

    public synchronized Delta send(DeltaDiscoveryRequest request) {
      DeltaDiscoveryRequest r = request;
      if (!nodeSent && node != null && !request.hasNode()) {
        r = request.toBuilder().setNode(node).build();
      }
      nodeSent = true;
      requests.onNext(r);
      return this;
    }

    /** Subscribes to names (none on a first request: wildcard). */
    public Delta subscribe(String typeUrl, String... names) {
      return send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
          .addAllResourceNamesSubscribe(Arrays.asList(names)).build());
    }

    public Delta unsubscribe(String typeUrl, String... names) {
      return send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
          .addAllResourceNamesUnsubscribe(Arrays.asList(names)).build());
    }

    public DeltaDiscoveryResponse expect() {
      return inbox.next(DEFAULT_TIMEOUT, "delta response");
    }

    public DeltaDiscoveryResponse expect(String typeUrl) {
      DeltaDiscoveryResponse r = expect();
      if (!r.getTypeUrl().equals(typeUrl)) {
        throw new AssertionError("expected a delta response of " + typeUrl + ", got " + r.getTypeUrl());
      }
      return r;
    }

    /** Subscribes and returns the response, ACKing it. */
    public DeltaDiscoveryResponse subscribeAndAck(String typeUrl, String... names) {
      subscribe(typeUrl, names);
      DeltaDiscoveryResponse r = expect(typeUrl);
      ack(r);
      return r;
    }

    public Delta ack(DeltaDiscoveryResponse response) {
      return send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(response.getTypeUrl())
          .setResponseNonce(response.getNonce()).build());
    }

    public Delta nack(DeltaDiscoveryResponse response, String message) {
      return send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(response.getTypeUrl())
          .setResponseNonce(response.getNonce())
          .setErrorDetail(com.google.rpc.Status.newBuilder()
              .setCode(Status.Code.INVALID_ARGUMENT.value()).setMessage(message))
          .build());
    }

    public void expectNoResponse(Duration wait) {
      inbox.expectNone(wait);
    }

    public Status expectClosed() {
      return inbox.awaitClose(DEFAULT_TIMEOUT);
    }

    @Override
    public void close() {
      try {
        requests.onCompleted();
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }
}

package dev.istiod.bench.load;

import com.google.rpc.Status;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A delta ADS stream ({@code DeltaAggregatedResources}), speaking as Envoy's delta gRPC mux does.
 *
 * <p>The same order as {@link SotwStream}: CDS and (once the clusters are warm) LDS as wildcard subscriptions, sent
 * with an empty subscribe list (Envoy's legacy wildcard); EDS and RDS subscribed by name, changes sent as
 * {@code resource_names_subscribe}/{@code unsubscribe} in a request of their own before the ACK of the response
 * that caused them. A response is ACKed with its nonce, or NACKed with an {@code error_detail}; resources in
 * {@code removed_resources} are dropped. On a reconnect every subscription is sent again; {@code
 * initial_resource_versions} is left empty (istiod reads it only for its ambient types).
 */
final class DeltaStream
    implements SimulatedProxy.AdsStream, ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  private static final int INTERNAL = 13;

  private final SimulatedProxy proxy;
  private ClientCallStreamObserver<DeltaDiscoveryRequest> requests;
  private boolean nodeSent;

  DeltaStream(SimulatedProxy proxy) {
    this.proxy = proxy;
  }

  @Override
  public void open(AggregatedDiscoveryServiceStub stub) {
    stub.deltaAggregatedResources(this);
    ProxyState state = proxy.state();
    subscribe(XdsType.CLUSTER, Set.of(), Set.of());
    if (!state.subscribed(XdsType.ENDPOINT).isEmpty()) {
      subscribe(XdsType.ENDPOINT, state.subscribed(XdsType.ENDPOINT), Set.of());
    }
    if (state.ldsRequested()) {
      subscribe(XdsType.LISTENER, Set.of(), Set.of());
      if (!state.subscribed(XdsType.ROUTE).isEmpty()) {
        subscribe(XdsType.ROUTE, state.subscribed(XdsType.ROUTE), Set.of());
      }
    }
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> requestStream) {
    this.requests = requestStream;
  }

  @Override
  public void cancel() {
    requests.cancel("load test finished", null);
  }

  @Override
  public void onNext(DeltaDiscoveryResponse response) {
    long now = LoadContext.nanos();
    LoadContext ctx = proxy.ctx();
    XdsType type = XdsType.ofTypeUrl(response.getTypeUrl()).orElse(null);
    if (type == null) {
      ctx.otherResponseReceived(now);
      return;
    }
    ctx.responseReceived(type, response.getSerializedSize(), now);
    List<ParsedResource> parsed = new ArrayList<>(response.getResourcesCount());
    String error = parseAll(type, response.getResourcesList(), parsed);
    synchronized (proxy) {
      if (!proxy.isCurrent(this)) {
        return;
      }
      if (error != null) {
        ctx.invalidResponse(proxy.id(), error);
        ack(type, response.getNonce(), error);
        return;
      }
      ProxyState.Applied applied = proxy.state().applyDelta(type, parsed, response.getRemovedResourcesList(), now);
      if (applied.subscription() != null) {
        ProxyState.SubscriptionChange c = applied.subscription();
        subscribe(c.type(), c.added(), c.removed());
      }
      ack(type, response.getNonce(), null);
      ctx.acked();
      ProxyState state = proxy.state();
      if (!state.ldsRequested() && state.clustersWarm()) {
        state.markLdsRequested();
        subscribe(XdsType.LISTENER, Set.of(), Set.of());
      }
      proxy.responded(applied.milestones());
    }
  }

  private String parseAll(XdsType type, Collection<Resource> resources, List<ParsedResource> out) {
    Set<String> names = new HashSet<>();
    for (Resource resource : resources) {
      if (!resource.hasResource()) {
        continue; // a name without a body: the server says it does not exist (on-demand only)
      }
      try {
        ParsedResource r = proxy.ctx().parser.parse(type, resource.getResource());
        if (!names.add(r.name())) {
          return "duplicate " + type.shortName() + " resource " + r.name();
        }
        out.add(r);
      } catch (ResourceParser.InvalidResourceException e) {
        return e.getMessage();
      }
    }
    return null;
  }

  private void subscribe(XdsType type, Collection<String> add, Collection<String> remove) {
    DeltaDiscoveryRequest.Builder b = DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .addAllResourceNamesSubscribe(add.stream().sorted().toList())
        .addAllResourceNamesUnsubscribe(remove.stream().sorted().toList());
    send(b);
  }

  private void ack(XdsType type, String nonce, String error) {
    DeltaDiscoveryRequest.Builder b = DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .setResponseNonce(nonce);
    if (error != null) {
      b.setErrorDetail(Status.newBuilder().setCode(INTERNAL).setMessage(error));
    }
    send(b);
  }

  private void send(DeltaDiscoveryRequest.Builder b) {
    if (!nodeSent) {
      b.setNode(proxy.node());
      nodeSent = true;
    }
    requests.onNext(b.build());
  }

  @Override
  public void onError(Throwable t) {
    proxy.ended(this, t);
  }

  @Override
  public void onCompleted() {
    proxy.ended(this, null);
  }
}

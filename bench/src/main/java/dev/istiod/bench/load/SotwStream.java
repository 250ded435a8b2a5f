package dev.istiod.bench.load;

import com.google.protobuf.Any;
import com.google.rpc.Status;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A state-of-the-world ADS stream ({@code StreamAggregatedResources}), speaking as Envoy's gRPC mux does.
 *
 * <p>Envoy's order: CDS (wildcard) first; on a CDS response it subscribes EDS to the EDS clusters' service names
 * (a request listing all of them) before it ACKs the CDS response; once every EDS cluster has its load assignment
 * (the cluster manager is initialized) it requests LDS; on an LDS response it subscribes RDS to the route names the
 * HTTP connection managers reference, then ACKs. Every response is ACKed with its {@code version_info} and
 * {@code nonce} and the type's current names; one that does not parse is NACKed with the last accepted version and
 * an {@code error_detail}, and nothing of it is applied. The node goes on the first request only
 * ({@code set_node_on_first_message_only}).
 */
final class SotwStream implements SimulatedProxy.AdsStream, ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
  /** google.rpc.Code.INTERNAL, which Envoy puts in a NACK's error_detail. */
  private static final int INTERNAL = 13;

  private final SimulatedProxy proxy;
  private final EnumMap<XdsType, String> lastNonce = new EnumMap<>(XdsType.class);
  private ClientCallStreamObserver<DiscoveryRequest> requests;
  private boolean nodeSent;

  SotwStream(SimulatedProxy proxy) {
    this.proxy = proxy;
    for (XdsType t : XdsType.values()) {
      lastNonce.put(t, "");
    }
  }

  /** Opens the stream and sends what Envoy sends on a (re)connect; called under the proxy's lock. */
  @Override
  public void open(AggregatedDiscoveryServiceStub stub) {
    stub.streamAggregatedResources(this);
    ProxyState state = proxy.state();
    send(XdsType.CLUSTER, state.acceptedVersion(XdsType.CLUSTER), "", null);
    if (!state.subscribed(XdsType.ENDPOINT).isEmpty()) {
      send(XdsType.ENDPOINT, state.acceptedVersion(XdsType.ENDPOINT), "", null);
    }
    if (state.ldsRequested()) {
      send(XdsType.LISTENER, state.acceptedVersion(XdsType.LISTENER), "", null);
      if (!state.subscribed(XdsType.ROUTE).isEmpty()) {
        send(XdsType.ROUTE, state.acceptedVersion(XdsType.ROUTE), "", null);
      }
    }
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requestStream) {
    this.requests = requestStream;
  }

  @Override
  public void cancel() {
    requests.cancel("load test finished", null);
  }

  @Override
  public void onNext(DiscoveryResponse response) {
    long now = LoadContext.nanos();
    LoadContext ctx = proxy.ctx();
    XdsType type = XdsType.ofTypeUrl(response.getTypeUrl()).orElse(null);
    if (type == null) {
      // Envoy ignores (and does not ACK) a type it has no watch for.
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
      ProxyState state = proxy.state();
      if (error != null) {
        ctx.invalidResponse(proxy.id(), error);
        send(type, state.acceptedVersion(type), response.getNonce(), error);
        return;
      }
      ProxyState.Applied applied = state.applySotw(type, parsed, now);
      lastNonce.put(type, response.getNonce());
      if (applied.subscription() != null) {
        XdsType dependent = applied.subscription().type();
        send(dependent, state.acceptedVersion(dependent), lastNonce.get(dependent), null);
      }
      state.accept(type, response.getVersionInfo());
      send(type, response.getVersionInfo(), response.getNonce(), null);
      ctx.acked();
      if (!state.ldsRequested() && state.clustersWarm()) {
        state.markLdsRequested();
        send(XdsType.LISTENER, "", "", null);
      }
      proxy.responded(applied.milestones());
    }
  }

  /** Parses every resource into {@code out}; returns why the response must be NACKed, or null. */
  private String parseAll(XdsType type, Collection<Any> resources, List<ParsedResource> out) {
    Set<String> names = new HashSet<>();
    for (Any any : resources) {
      try {
        ParsedResource r = proxy.ctx().parser.parse(type, any);
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

  private void send(XdsType type, String version, String nonce, String error) {
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .setVersionInfo(version)
        .setResponseNonce(nonce)
        .addAllResourceNames(proxy.state().requested(type));
    if (error != null) {
      b.setErrorDetail(Status.newBuilder().setCode(INTERNAL).setMessage(error));
    }
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

package dev.istiod.xds.server;

import dev.istiod.model.PushContext;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state-of-the-world ADS stream ({@code StreamAggregatedResources}), following upstream's
 * {@code ShouldRespond}: every request carries the full list of names the proxy wants, and the
 * response nonce tells an ACK (or NACK, with {@code error_detail}) from a stale request.
 */
final class SotwConnection extends Connection<DiscoveryRequest, DiscoveryResponse> {
  private static final Logger log = LoggerFactory.getLogger(SotwConnection.class);

  SotwConnection(DiscoveryServer server, ServerCallStreamObserver<DiscoveryResponse> call, Executor shared,
      String peerAddress) {
    super(server, call, shared, peerAddress);
  }

  @Override
  String typeUrlOf(DiscoveryRequest request) {
    return request.getTypeUrl();
  }

  @Override
  Node nodeOf(DiscoveryRequest request) {
    return request.hasNode() ? request.getNode() : null;
  }

  @Override
  boolean isDelta() {
    return false;
  }

  @Override
  void handle(DiscoveryRequest request) {
    String typeUrl = request.getTypeUrl();
    if (ignored(typeUrl)) {
      // Workload health (WorkloadEntry auto-registration) and debug-over-xDS are not served here.
      return;
    }
    Decision decision = shouldRespond(request);
    if (decision.respond()) {
      respondToRequest(watched.get(typeUrl), decision.only());
    }
  }

  private Decision shouldRespond(DiscoveryRequest request) {
    String typeUrl = request.getTypeUrl();
    WatchState state = watched.get(typeUrl);
    if (request.hasErrorDetail()) {
      recordNack(state, typeUrl, request.getErrorDetail());
      return Decision.NO;
    }
    boolean wildcardType = TypeUrls.isWildcardType(typeUrl);
    List<String> names = request.getResourceNamesList();
    if (names.isEmpty() && !wildcardType) {
      // EDS/RDS/SDS with no names: the proxy no longer wants any of this type.
      log.debug("ADS:{}: UNSUBSCRIBE {}", TypeUrls.shortName(typeUrl), this);
      watched.remove(typeUrl);
      return Decision.NO;
    }
    String nonce = request.getResponseNonce();
    if (nonce.isEmpty() || state == null) {
      // First request for the type, or a proxy reconnecting from another istiod.
      WatchState fresh = new WatchState(typeUrl);
      subscribe(fresh, names, DiscoveryRequestMarshaller.requestedNames(request), wildcardType);
      watched.put(typeUrl, fresh);
      if (TypeUrls.CLUSTER.equals(typeUrl) && watched.containsKey(TypeUrls.ENDPOINT)) {
        // New clusters make Envoy re-warm them; it must get an EDS answer even if its next EDS
        // request looks like an ACK (envoy#13009).
        watched.get(TypeUrls.ENDPOINT).alwaysRespond = true;
      }
      return Decision.ALL;
    }
    if (!nonce.equals(state.nonceSent)) {
      log.debug("ADS:{}: REQ {} expired nonce {}, sent {}", TypeUrls.shortName(typeUrl), this, nonce,
          state.nonceSent);
      server.metrics().expiredNonce(typeUrl);
      return Decision.NO;
    }
    state.lastError = "";
    state.nonceAcked = nonce;
    state.versionAcked = request.getVersionInfo();
    RequestedNames requested = DiscoveryRequestMarshaller.requestedNames(request);
    if (!state.alwaysRespond && requested.equals(state.requested)) {
      // The very names of the last request, in its order: a plain ACK, told apart without decoding the names.
      return Decision.NO;
    }
    Set<String> previous = state.names();
    boolean previousWildcard = state.wildcard;
    subscribe(state, names, requested, wildcardType);
    boolean alwaysRespond = state.alwaysRespond;
    state.alwaysRespond = false;
    if (alwaysRespond || state.wildcard != previousWildcard) {
      return Decision.ALL;
    }
    Set<String> added = new HashSet<>(state.names());
    added.removeAll(previous);
    boolean removed = !state.names().containsAll(previous);
    if (added.isEmpty() && !removed) {
      return Decision.NO; // a plain ACK
    }
    if (!wildcardType) {
      // Names dropped need no answer; names added get just their resources.
      return added.isEmpty() ? Decision.NO : Decision.only(added);
    }
    return Decision.ALL;
  }

  private static void subscribe(WatchState state, List<String> names, RequestedNames requested,
      boolean wildcardType) {
    state.requested = requested;
    Set<String> set = new HashSet<>(names);
    state.wildcard = wildcardType && (set.isEmpty() || set.contains("*"));
    set.remove("*");
    state.names(set);
  }

  @Override
  CompletableFuture<Void> respond(WatchState state, WatchedResource watched, GenerationResult result,
      PushContext push, boolean isPush, boolean partial) {
    if (result.incremental() && result.resources().isEmpty()) {
      return null; // an incremental push that changes nothing this proxy watches
    }
    String version = push.version();
    String nonce = PushVersions.nonce(version);
    DiscoveryResponse.Builder response = DiscoveryResponse.newBuilder()
        .setTypeUrl(state.typeUrl)
        .setVersionInfo(version)
        .setNonce(nonce);
    if (TypeUrls.DEBUG_SYNCZ.equals(state.typeUrl)) {
      response.setControlPlane(server.controlPlane().toProto()); // istioctl's ISTIOD column and `x version`
    }
    for (XdsResource r : result.resources()) {
      response.addResources(r.resource());
    }
    state.recordSent(nonce, version, now());
    return send(response.build());
  }
}

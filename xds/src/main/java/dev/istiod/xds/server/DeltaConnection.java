package dev.istiod.xds.server;

import dev.istiod.model.PushContext;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An incremental ADS stream ({@code DeltaAggregatedResources}), following upstream's
 * {@code shouldRespondDelta} and {@code pushDeltaXds}: requests subscribe and unsubscribe names,
 * responses carry changed resources plus {@code removed_resources}.
 *
 * <p>Removals: for a full (non-incremental) result, whatever the proxy asked for, or for a
 * wildcard subscription whatever it holds from us, and was not generated, is removed. For an
 * incremental result the generator says what was removed.
 */
final class DeltaConnection extends Connection<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  private static final Logger log = LoggerFactory.getLogger(DeltaConnection.class);
  /** ECDS never sends removals: Envoy garbage-collects unreferenced extensions (envoy#32823). */
  private static final String EXTENSION_CONFIG = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";

  DeltaConnection(DiscoveryServer server, ServerCallStreamObserver<DeltaDiscoveryResponse> call, Executor shared,
      String peerAddress) {
    super(server, call, shared, peerAddress);
  }

  @Override
  String typeUrlOf(DeltaDiscoveryRequest request) {
    return request.getTypeUrl();
  }

  @Override
  Node nodeOf(DeltaDiscoveryRequest request) {
    return request.hasNode() ? request.getNode() : null;
  }

  @Override
  boolean isDelta() {
    return true;
  }

  @Override
  void handle(DeltaDiscoveryRequest request) {
    String typeUrl = request.getTypeUrl();
    if (ignored(typeUrl)) {
      return;
    }
    Decision decision = shouldRespond(request);
    if (!decision.respond()) {
      return;
    }
    respondToRequest(watched.get(typeUrl), decision.only());
    // Always follow clusters with endpoints: Envoy may keep re-warmed clusters waiting for an EDS
    // response it never asks for again (envoy#33607, envoy#13009).
    if (TypeUrls.CLUSTER.equals(typeUrl) && watched.containsKey(TypeUrls.ENDPOINT)) {
      log.debug("ADS:eds: FORCE PUSH for warming {}", this);
      respondToRequest(watched.get(TypeUrls.ENDPOINT), null);
    }
  }

  private Decision shouldRespond(DeltaDiscoveryRequest request) {
    String typeUrl = request.getTypeUrl();
    WatchState state = watched.get(typeUrl);
    if (request.hasErrorDetail()) {
      recordNack(state, typeUrl, request.getErrorDetail());
      return Decision.NO;
    }
    boolean wildcardType = TypeUrls.isWildcardType(typeUrl);
    if (state == null) {
      watched.put(typeUrl, initialState(request, wildcardType));
      return Decision.ALL;
    }
    String nonce = request.getResponseNonce();
    if (!nonce.isEmpty() && !nonce.equals(state.nonceSent)) {
      log.debug("ADS:{}: REQ {} expired nonce {}, sent {}", TypeUrls.shortName(typeUrl), this, nonce,
          state.nonceSent);
      server.metrics().expiredNonce(typeUrl);
      return Decision.NO;
    }
    if (!nonce.isEmpty()) {
      // An ACK; an empty nonce is a spontaneous subscription change and leaves the ACK state alone.
      state.lastError = "";
      state.nonceAcked = nonce;
      state.versionAcked = state.versionSent;
    }
    Set<String> added = new HashSet<>();
    boolean wildcardOn = false;
    for (String name : request.getResourceNamesSubscribeList()) {
      if ("*".equals(name)) {
        wildcardOn = wildcardType && !state.wildcard;
        state.wildcard |= wildcardType;
      } else if (state.addName(name)) {
        added.add(name);
      }
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      if ("*".equals(name)) {
        state.wildcard = false;
      } else {
        state.removeName(name);
      }
    }
    if (!state.wildcard) {
      state.sentNames.retainAll(state.names());
    }
    boolean alwaysRespond = state.alwaysRespond;
    state.alwaysRespond = false;
    if (alwaysRespond || wildcardOn) {
      return Decision.ALL;
    }
    if (added.isEmpty()) {
      return Decision.NO; // an ACK, or only unsubscriptions, which need no answer
    }
    return state.wildcard ? Decision.ALL : Decision.only(added);
  }

  private static WatchState initialState(DeltaDiscoveryRequest request, boolean wildcardType) {
    WatchState state = new WatchState(request.getTypeUrl());
    Set<String> names = new HashSet<>(request.getResourceNamesSubscribeList());
    names.addAll(request.getInitialResourceVersionsMap().keySet());
    request.getResourceNamesUnsubscribeList().forEach(names::remove);
    // Wildcard: an explicit "*", or a first request that subscribes to nothing at all.
    state.wildcard = wildcardType && (request.getResourceNamesSubscribeList().isEmpty() || names.contains("*"));
    names.remove("*");
    state.names(names);
    // What a reconnecting proxy already holds; absences from our answer become removals.
    state.sentNames.addAll(request.getInitialResourceVersionsMap().keySet());
    return state;
  }

  @Override
  CompletableFuture<Void> respond(WatchState state, WatchedResource watched, GenerationResult result,
      PushContext push, boolean isPush, boolean partial) {
    Set<String> generated = new HashSet<>();
    result.resources().forEach(r -> generated.add(r.name()));
    Set<String> removed = new TreeSet<>();
    if (result.incremental()) {
      removed.addAll(result.removed());
    } else {
      removed.addAll(watched.resourceNames());
      if (watched.wildcard()) {
        removed.addAll(state.sentNames);
      }
      removed.removeAll(generated);
    }
    if (EXTENSION_CONFIG.equals(state.typeUrl) || TypeUrls.isDebug(state.typeUrl)) {
      removed.clear(); // (debug answers are not resources a client holds)
    }
    if (isPush && result.resources().isEmpty() && removed.isEmpty()) {
      return null; // nothing changed for this proxy
    }
    String version = push.version();
    String nonce = PushVersions.nonce(version);
    DeltaDiscoveryResponse.Builder response = DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(state.typeUrl)
        .setSystemVersionInfo(version)
        .setNonce(nonce)
        .addAllRemovedResources(removed);
    if (TypeUrls.DEBUG_SYNCZ.equals(state.typeUrl)) {
      response.setControlPlane(server.controlPlane().toProto());
    }
    for (XdsResource r : result.resources()) {
      response.addResources(Resource.newBuilder().setName(r.name()).setResource(r.resource()));
    }
    if (result.incremental() || partial) {
      state.sentNames.addAll(generated);
      state.sentNames.removeAll(removed);
    } else {
      state.sentNames = generated;
    }
    state.recordSent(nonce, version, now());
    return send(response.build());
  }
}

package dev.istiod.xds.grpcgen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import java.util.List;
import java.util.Objects;

/**
 * Serves one type URL with the generator the connected proxy asked for: proxyless gRPC clients
 * (node metadata {@code GENERATOR=grpc}) get the grpcgen generator, every other proxy the default
 * (sidecar/gateway) one. This is upstream's per-proxy generator lookup ({@code grpc/<type>}),
 * kept behind the plain {@link XdsGenerator} contract so the ADS server needs no special case.
 */
final class ProxyGeneratorSelector implements XdsGenerator {

  private final String typeUrl;
  private final XdsGenerator proxyless;
  private final XdsGenerator fallback;

  /**
   * @param fallback the generator for every other proxy; null when the server has none for this
   *     type (such proxies then get nothing)
   */
  ProxyGeneratorSelector(XdsGenerator proxyless, XdsGenerator fallback) {
    this.proxyless = Objects.requireNonNull(proxyless, "proxyless");
    this.fallback = fallback;
    this.typeUrl = proxyless.typeUrl();
    if (fallback != null && !fallback.typeUrl().equals(typeUrl)) {
      throw new IllegalArgumentException("generators disagree on type: " + typeUrl + " vs " + fallback.typeUrl());
    }
  }

  @Override
  public String typeUrl() {
    return typeUrl;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    XdsGenerator g = select(proxy);
    return g != null && g.needsPush(proxy, request);
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    XdsGenerator g = select(proxy);
    if (g == null) {
      return GenerationResult.full(List.of());
    }
    return g.generate(proxy, push, watched, request);
  }

  private XdsGenerator select(Proxy proxy) {
    return ProxylessGrpc.isProxyless(proxy) ? proxyless : fallback;
  }

  @Override
  public String toString() {
    return "ProxyGeneratorSelector[" + TypeUrls.shortName(typeUrl) + ": grpc=" + proxyless + ", default=" + fallback + "]";
  }
}

package dev.istiod.xds.core;

import com.google.common.collect.MapMaker;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.push.SidecarScope;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;

/**
 * Everything the Envoy builders need about one proxy in one push, computed once per generation:
 * the proxy, the snapshot, the proxy's sidecar scope and service targets, and the capability and
 * address facts derived from its metadata. Builders take this and are otherwise stateless.
 */
public record ProxyInputs(Proxy proxy, PushContext push, SidecarScope scope, List<ServiceTarget> serviceTargets) {
  /** istio-proxy's metadata exchange filter (network, HTTP and cluster filter). */
  public static final String METADATA_EXCHANGE_EXTENSION = "istio.metadata_exchange";
  /** istio-proxy's ALPN override HTTP filter. */
  public static final String ALPN_EXTENSION = "istio.alpn";

  /** The last inputs made per proxy (by identity, weakly: an entry goes with its Proxy). */
  private static final ConcurrentMap<Proxy, ProxyInputs> LAST = new MapMaker().weakKeys().makeMap();

  public ProxyInputs {
    Objects.requireNonNull(proxy, "proxy");
    Objects.requireNonNull(push, "push");
    Objects.requireNonNull(scope, "scope");
    serviceTargets = List.copyOf(serviceTargets);
  }

  /**
   * The inputs of {@code proxy} in {@code push}, made once for all the types of one push: the generators of CDS,
   * EDS, LDS and RDS each ask, and an endpoint-only push reuses the push context, so the proxy's service targets
   * (upstream computes them once per full push too) and scope are looked up once, not once per type and push.
   */
  public static ProxyInputs of(Proxy proxy, PushContext push) {
    ProxyInputs last = LAST.get(proxy);
    if (last != null && last.push == push) {
      return last;
    }
    ProxyInputs made = new ProxyInputs(proxy, push, push.sidecarScope(proxy), push.serviceTargets(proxy));
    LAST.put(proxy, made);
    return made;
  }

  public MeshConfig mesh() {
    return push.mesh();
  }

  /** True when the proxy runs without iptables capture ({@code INTERCEPTION_MODE: NONE}). */
  public boolean interceptionNone() {
    return "NONE".equals(proxy.metadata().interceptionMode());
  }

  public boolean tproxy() {
    return "TPROXY".equals(proxy.metadata().interceptionMode());
  }

  /** True when the proxy cannot bind ports below 1024 ({@code UNPRIVILEGED_POD}). */
  public boolean unprivileged() {
    return proxy.metadata().bool("UNPRIVILEGED_POD");
  }

  /** True when every proxy IP is IPv6 (then listeners use {@code ::} and {@code ::1}). */
  public boolean ipv6Only() {
    return !proxy.ipAddresses().isEmpty() && proxy.ipAddresses().stream().allMatch(ip -> ip.contains(":"));
  }

  /** True when every proxy IP is IPv4 (or it has none). */
  public boolean ipv4Only() {
    return proxy.ipAddresses().stream().noneMatch(ip -> ip.contains(":"));
  }

  public String wildcardAddress() {
    return ipv6Only() ? "::" : "0.0.0.0";
  }

  public String localhostAddress() {
    return ipv6Only() ? "::1" : "127.0.0.1";
  }

  /**
   * True when the connected Envoy is istio-proxy with the metadata exchange filters. Upstream
   * Envoy NACKs a whole update that names an unknown filter, so these filters are only emitted
   * when the node announces them.
   */
  public boolean metadataExchange() {
    return proxy.supportsExtension(METADATA_EXCHANGE_EXTENSION);
  }

  public boolean alpnFilter() {
    return proxy.supportsExtension(ALPN_EXTENSION);
  }

  /** The TCP idle timeout the proxy asks for in its node metadata ({@code IDLE_TIMEOUT}, a Go duration), or "". */
  public String idleTimeoutMetadata() {
    return proxy.metadata().string("IDLE_TIMEOUT");
  }

  /** A port number from node metadata (e.g. ENVOY_STATUS_PORT), or 0. */
  public int metadataPort(String key) {
    try {
      return Integer.parseInt(proxy.metadata().string(key));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}

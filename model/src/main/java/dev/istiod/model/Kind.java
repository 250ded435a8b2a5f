package dev.istiod.model;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every kind of configuration object istiod knows, Istio CRDs and the pseudo-kinds that
 * registries use to say "a service" or "its endpoints" changed in a {@link PushRequest}.
 *
 * <p>The Kubernetes group/kind/plural live here because they are facts about the kind; which
 * proto decodes a kind's spec and which validator guards it is the configstore's business
 * (its kind registry), so that model stays free of decoding concerns.
 */
public enum Kind {
  VIRTUAL_SERVICE("networking.istio.io", "VirtualService", "virtualservices"),
  DESTINATION_RULE("networking.istio.io", "DestinationRule", "destinationrules"),
  GATEWAY("networking.istio.io", "Gateway", "gateways"),
  SERVICE_ENTRY("networking.istio.io", "ServiceEntry", "serviceentries"),
  WORKLOAD_ENTRY("networking.istio.io", "WorkloadEntry", "workloadentries"),
  WORKLOAD_GROUP("networking.istio.io", "WorkloadGroup", "workloadgroups"),
  SIDECAR("networking.istio.io", "Sidecar", "sidecars"),
  ENVOY_FILTER("networking.istio.io", "EnvoyFilter", "envoyfilters"),
  /** Per-workload proxy settings; stored and validated, applied by the proxy's agent, not by xDS. */
  PROXY_CONFIG("networking.istio.io", "ProxyConfig", "proxyconfigs"),
  PEER_AUTHENTICATION("security.istio.io", "PeerAuthentication", "peerauthentications"),
  REQUEST_AUTHENTICATION("security.istio.io", "RequestAuthentication", "requestauthentications"),
  AUTHORIZATION_POLICY("security.istio.io", "AuthorizationPolicy", "authorizationpolicies"),
  TELEMETRY("telemetry.istio.io", "Telemetry", "telemetries"),
  WASM_PLUGIN("extensions.istio.io", "WasmPlugin", "wasmplugins"),
  // Pseudo-kinds: never stored, only named in PushRequests (as upstream's kind.Endpoints etc.).
  /** A service of any registry changed; the key's name is the hostname. */
  SERVICE("", "Service", "services"),
  /** Only the endpoints of a service changed; the key's name is the hostname. */
  ENDPOINTS("", "Endpoints", "endpoints"),
  /** The mesh config changed. */
  MESH_CONFIG("", "MeshConfig", "meshconfigs"),
  /**
   * A Kubernetes Secret that may hold a {@code credentialName} certificate changed (upstream's
   * {@code kind.Secret}); the key names its namespace and name. Only SDS reacts to it.
   */
  SECRET("", "Secret", "secrets");

  private final String group;
  private final String kindName;
  private final String plural;

  Kind(String group, String kindName, String plural) {
    this.group = group;
    this.kindName = kindName;
    this.plural = plural;
  }

  /** The API group, e.g. {@code networking.istio.io}; empty for pseudo-kinds. */
  public String group() {
    return group;
  }

  /** The Kubernetes kind, e.g. {@code VirtualService}. */
  public String kindName() {
    return kindName;
  }

  public String plural() {
    return plural;
  }

  /** True for kinds that users write (Istio CRDs), false for registry pseudo-kinds. */
  public boolean isIstioConfig() {
    return !group.isEmpty();
  }

  public static Optional<Kind> fromGroupKind(String group, String kindName) {
    return Arrays.stream(values())
        .filter(k -> k.isIstioConfig() && k.group.equals(group) && k.kindName.equals(kindName))
        .findFirst();
  }
}
